import { decodeFromCompressedBase64 } from '../hdr-histogram.js';
import { boundLine, lineChart, type Bound } from './svg-chart.js';

/**
 * The latency distribution as HdrHistogram's plotter and wrk2 draw it: latency against the percentile on a log
 * axis of 1/(1-p), so the tail (99%, 99.9%, 99.99%) gets as much room as the median.
 */

const LABELS = ['0%', '90%', '99%', '99.9%', '99.99%', '99.999%'];
/** x = log10(1 / (1 - p)): 0 at the minimum, 1 at 90%, 2 at 99%, ... */
const X_TICKS = [
  { at: 0, label: '0%' },
  { at: Math.log10(2), label: '50%' },
  ...LABELS.slice(1).map((label, i) => ({ at: i + 1, label })),
];
const STEPS_PER_DECADE = 40;

/** Points (x, ms) of one histogram (µs, compressed base64; '' for none), up to the percentile its count tells apart. */
export function percentileCurve(histogram: string): (readonly [number, number])[] {
  if (histogram === '') return [];
  const h = decodeFromCompressedBase64(histogram);
  if (h.totalCount === 0) return [];
  // With n samples, percentiles past 1 - 1/n are all the maximum: the curve ends there (at least at 99%).
  const xMax = Math.min(LABELS.length - 1, Math.max(2, Math.log10(h.totalCount)));
  const points: (readonly [number, number])[] = [];
  for (let step = 0; step / STEPS_PER_DECADE < xMax; step += 1) {
    const x = step / STEPS_PER_DECADE;
    points.push([x, h.getValueAtPercentile(100 * (1 - 10 ** -x)) / 1000]);
  }
  points.push([xMax, h.maxValue / 1000]);
  return points;
}

/** One curve per run (the report has one, a comparison one per run), with bounds drawn across. */
export function percentileChart(
  curves: readonly { name: string; histogram: string }[],
  bounds: readonly Bound[] = [],
): string {
  const series = curves.map((c) => ({ name: c.name, points: percentileCurve(c.histogram) }));
  const xMax = Math.max(2, ...series.flatMap((s) => s.points.map(([x]) => x)));
  const lines = [...series, ...bounds.map((b) => boundLine(b, 0, xMax))];
  return lineChart('Latency by percentile (HDR)', 'ms', 'percentile (log scale of 1/(1-p))', lines, {
    xTicks: X_TICKS,
  });
}
