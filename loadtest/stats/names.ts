/** Metric names, declared once: thresholds, summary.json and the outputs all use these. */
export const METRICS = {
  requests: 'requests',
  failures: 'failures',
  errors: 'errors',
  rps: 'rps',
  late: 'late',
  dropped: 'dropped',
  bytesSent: 'bytes_sent',
  bytesReceived: 'bytes_received',
  latency: 'latency',
} as const;

/** Latency percentiles reported everywhere, as [name, percentile]. */
export const PERCENTILES = [
  ['p50', 50],
  ['p90', 90],
  ['p95', 95],
  ['p99', 99],
  ['p99.9', 99.9],
] as const;

export type PercentileName = (typeof PERCENTILES)[number][0];

/** Latency statistics a threshold can name, besides the percentiles. */
export const LATENCY_STATS = ['min', 'mean', 'max', ...PERCENTILES.map(([name]) => name)] as const;
export type LatencyStatName = (typeof LATENCY_STATS)[number];
