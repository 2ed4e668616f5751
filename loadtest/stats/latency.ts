import type { Histogram } from 'hdr-histogram-js';
import { PERCENTILES, type LatencyStatName } from './names.js';

/** Latency statistics in milliseconds with microsecond resolution; null when nothing was recorded. */
export type LatencyStats = Record<LatencyStatName, number | null> & { count: number; stdev: number | null };

const ms = (us: number): number => Math.round(us) / 1000;

/** Recorded latencies: the HDR histogram and the exact extremes, in µs. */
export interface Latencies {
  readonly histogram: Histogram;
  readonly minUs: number;
  readonly maxUs: number;
}

/**
 * One statistic in ms: a percentile (0-100), min, mean, stdev or max; null when nothing was recorded. Min and max
 * are exact; percentiles are HDR's, within 0.1% (3 significant digits), never rounded to coarse buckets like Locust's.
 */
export function latencyAt(latencies: Latencies, stat: number | 'min' | 'mean' | 'stdev' | 'max'): number | null {
  const { histogram } = latencies;
  if (histogram.totalCount === 0) return null;
  if (stat === 'min') return ms(latencies.minUs);
  if (stat === 'mean') return ms(histogram.mean);
  if (stat === 'stdev') return ms(histogram.stdDeviation);
  if (stat === 'max') return ms(latencies.maxUs);
  return ms(Math.min(histogram.getValueAtPercentile(stat), latencies.maxUs));
}

export function latencyStats(latencies: Latencies): LatencyStats {
  const stats: Record<string, number | null> = { count: latencies.histogram.totalCount };
  for (const stat of ['min', 'mean', 'stdev'] as const) stats[stat] = latencyAt(latencies, stat);
  for (const [name, percentile] of PERCENTILES) stats[name] = latencyAt(latencies, percentile);
  stats.max = latencyAt(latencies, 'max');
  return stats as LatencyStats;
}
