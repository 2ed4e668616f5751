import type { JsHistogram } from '../../shared/hdr-histogram.js';
import { histogramStats, type HistogramStats } from './histogram-stats.js';
import { PERCENTILES, type LatencyStatName } from './names.js';

/** Latency statistics in milliseconds with microsecond resolution; null when nothing was recorded. */
export type LatencyStats = Record<LatencyStatName, number | null> & { count: number; stdev: number | null };

const ms = (us: number): number => Math.round(us) / 1000;

/** Recorded latencies: the HDR histogram and the exact extremes, in µs. */
export interface Latencies {
  readonly histogram: JsHistogram;
  readonly minUs: number;
  readonly maxUs: number;
}

/** A percentile (0-100), min, mean, stdev or max. */
export type LatencyStat = number | 'min' | 'mean' | 'stdev' | 'max';

/**
 * Statistics in ms, in the order asked; null when nothing was recorded. Min and max are exact; percentiles are
 * HDR's, within 0.1% (3 significant digits), never rounded to coarse buckets like Locust's. All of them from one
 * reading of the histogram (histogramStats), not one each.
 */
export function latenciesAt(latencies: Latencies, stats: readonly LatencyStat[]): (number | null)[] {
  const { histogram } = latencies;
  if (histogram.totalCount === 0) return stats.map(() => null);
  const percentiles = stats.filter((stat): stat is number => typeof stat === 'number');
  let read: HistogramStats | undefined;
  const pass = (): HistogramStats => (read ??= histogramStats(histogram, percentiles));
  let next = 0;
  return stats.map((stat) => {
    if (stat === 'min') return ms(latencies.minUs);
    if (stat === 'max') return ms(latencies.maxUs);
    if (stat === 'mean') return ms(pass().mean);
    if (stat === 'stdev') return ms(pass().stdDeviation);
    return ms(Math.min(pass().values[next++]!, latencies.maxUs));
  });
}

/** One statistic in ms (latenciesAt); null when nothing was recorded. */
export function latencyAt(latencies: Latencies, stat: LatencyStat): number | null {
  return latenciesAt(latencies, [stat])[0]!;
}

const STATS: readonly (readonly [string, LatencyStat])[] = [
  ['min', 'min'],
  ['mean', 'mean'],
  ['stdev', 'stdev'],
  ...PERCENTILES,
  ['max', 'max'],
];

export function latencyStats(latencies: Latencies): LatencyStats {
  const values = latenciesAt(
    latencies,
    STATS.map(([, stat]) => stat),
  );
  const stats: Record<string, number | null> = { count: latencies.histogram.totalCount };
  STATS.forEach(([name], i) => (stats[name] = values[i]!));
  return stats as LatencyStats;
}
