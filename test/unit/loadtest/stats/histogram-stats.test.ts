import { Int32Histogram } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { histogramStats } from '../../../../loadtest/stats/histogram-stats.js';
import { newHistogram } from '../../../../loadtest/stats/window.js';

const PERCENTILES = [99.9, 0, 50, 66, 75, 80, 90, 95, 98, 99, 99.99, 100, 12.5];

/** A deterministic spread of latencies in µs: most near 1-3 ms, a tail to ~2 s, a few repeated exactly. */
function filled(n: number, seed: number) {
  const histogram = newHistogram();
  let x = seed;
  for (let i = 0; i < n; i += 1) {
    x = (x * 48271) % 2147483647;
    const u = x / 2147483647;
    histogram.recordValue(Math.round(1000 + 2000 * u + (u > 0.99 ? 2_000_000 * (u - 0.99) * 100 : 0)));
  }
  return histogram;
}

describe('histogramStats', () => {
  it.each([
    [1, 7],
    [2, 11],
    [1000, 3],
    [25_000, 5],
  ])('gives exactly what hdr-histogram-js gives one statistic at a time (%i values)', (n, seed) => {
    const histogram = filled(n, seed);
    const stats = histogramStats(histogram, PERCENTILES);
    expect(stats.values).toEqual(PERCENTILES.map((p) => histogram.getValueAtPercentile(p)));
    expect(stats.mean).toBe(histogram.mean);
    expect(stats.stdDeviation).toBe(histogram.stdDeviation);
  });

  it('is zeros for an empty histogram, as hdr-histogram-js is', () => {
    const histogram = newHistogram();
    expect(histogramStats(histogram, [50, 99])).toEqual({ values: [0, 0], mean: 0, stdDeviation: 0 });
    expect([histogram.getValueAtPercentile(50), histogram.mean, histogram.stdDeviation]).toEqual([0, 0, 0]);
  });

  it('reads a histogram of another precision and lowest value the same way', () => {
    const histogram = new Int32Histogram(8, 1e9, 2);
    for (let v = 8; v < 5e6; v = Math.ceil(v * 1.37)) histogram.recordValueWithCount(v, (v % 7) + 1);
    const stats = histogramStats(histogram, PERCENTILES);
    expect(stats.values).toEqual(PERCENTILES.map((p) => histogram.getValueAtPercentile(p)));
    expect(stats.mean).toBe(histogram.mean);
    expect(stats.stdDeviation).toBe(histogram.stdDeviation);
  });
});
