import type { JsHistogram } from '../../shared/hdr-histogram.js';

/** What `getValueAtPercentile`, `mean` and `stdDeviation` read of a histogram. */
export interface HistogramStats {
  /** The value at each requested percentile, in the order asked. */
  readonly values: number[];
  readonly mean: number;
  readonly stdDeviation: number;
}

/** One unit in the last place of x, as hdr-histogram-js rounds a percentile's count with it. */
const ulp = (x: number): number => 2 ** (Math.floor(Math.log2(x)) - 52);

/**
 * Several percentiles, the mean and the standard deviation of an HDR histogram in two passes over its counts,
 * giving exactly what hdr-histogram-js gives one statistic at a time: its getValueAtPercentile walks the counts
 * once per percentile, and its mean and stdDeviation through an iterator allocating as it goes, which made the
 * per-second statistics (every percentile of the run's total, each second) a good part of the generator's CPU.
 */
export function histogramStats(histogram: JsHistogram, percentiles: readonly number[]): HistogramStats {
  const total = histogram.totalCount;
  const values = percentiles.map(() => 0);
  if (total === 0) return { values, mean: 0, stdDeviation: 0 };
  // The count each percentile is reached at, as getValueAtPercentile computes it; visited in increasing order.
  const targets = percentiles.map((percentile, at) => {
    const fpCount = (Math.min(percentile, 100) / 100) * total;
    return { at, percentile, count: Math.max(Math.ceil(fpCount - ulp(fpCount)), 1) };
  });
  targets.sort((a, b) => a.count - b.count);
  let next = 0;
  let seen = 0;
  let sum = 0;
  const length = histogram.countsArrayLength;
  for (let i = 0; i < length && seen < total; i += 1) {
    const count = histogram.getCountAtIndex(i);
    if (count === 0) continue;
    seen += count;
    const value = histogram.valueFromIndex(i);
    const highest = histogram.highestEquivalentValue(value);
    sum += histogram.medianEquivalentValue(highest) * count;
    for (; next < targets.length && targets[next]!.count <= seen; next += 1) {
      const target = targets[next]!;
      values[target.at] = target.percentile === 0 ? histogram.lowestEquivalentValue(value) : highest;
    }
  }
  const mean = sum / total;
  let deviations = 0;
  seen = 0;
  for (let i = 0; i < length && seen < total; i += 1) {
    const count = histogram.getCountAtIndex(i);
    if (count === 0) continue;
    seen += count;
    const deviation =
      histogram.medianEquivalentValue(histogram.highestEquivalentValue(histogram.valueFromIndex(i))) - mean;
    deviations += deviation * deviation * count;
  }
  return { values, mean, stdDeviation: Math.sqrt(deviations / total) };
}
