import { encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { newHistogram } from '../../../../loadtest/stats/window.js';
import { SUMMARY_SCHEMA, type GeneratorHealth, type SeriesPoint, type Summary } from '../../../../loadtest/summary.js';
import type { ThresholdResult } from '../../../../loadtest/thresholds.js';

/** Latencies in ms: 1000 requests, mostly 20-40 ms, a tail to 400 ms. */
export const LATENCIES_MS = Array.from({ length: 1000 }, (_, i) => (i < 990 ? 20 + (i % 20) : 100 + (i - 990) * 30));

const histogram = (): string => {
  const h = newHistogram();
  for (const ms of LATENCIES_MS) h.recordValue(ms * 1000);
  return encodeIntoCompressedBase64(h);
};

/** Ten seconds of 100 req/s; the last second only the drain after the run's end (a partial second). */
const series: SeriesPoint[] = Array.from({ length: 11 }, (_, second) => ({
  second,
  requests: second === 10 ? 7 : 100,
  failures: second === 4 ? 3 : 0,
  target: 100,
  p50: 30,
  p95: 39,
  p99: second === 6 ? 420 : 120,
  'p99.9': second === 6 ? 460 : 300,
  max: second === 6 ? 470 : 390,
}));

const threshold = (expression: string, metric: string, limit: number, actual: number): ThresholdResult => ({
  expression,
  metric,
  op: '<',
  limit,
  actual,
  ok: actual < limit,
});

/** A generator that kept up: the figures are the server's. */
export const KEPT_UP: GeneratorHealth = {
  workers: 2,
  cores: 2,
  cpuPercent: { mean: 20, max: 35 },
  eventLoopDelayMs: { p99: 3, max: 9 },
  limited: false,
  reasons: [],
};

/** A finished open-model run of 10 s; `overrides` replace whole fields. */
export function summaryFixture(overrides: Partial<Summary> = {}): Summary {
  return {
    schema: SUMMARY_SCHEMA,
    scenario: '2n-8c-16r-interop4',
    startedAt: '2026-12-07T10:00:00.000Z',
    finishedAt: '2026-12-07T10:00:10.300Z',
    target: { address: '10.0.0.7:8500', protocol: 'grpc', model: 'resnet', signature: 'serving_default', version: 3 },
    load: {
      kind: 'open',
      stages: [{ durationMs: 10_000, rate: 100 }],
      maxInFlight: 1000,
      description: 'open model, 100 req/s',
    },
    warmupMs: 0,
    durationMs: 10_000,
    measuredMs: 10_000,
    requests: {
      total: 1003,
      ok: 1000,
      failed: 3,
      errorRatio: 3 / 1003,
      late: 0,
      dropped: 0,
      warmup: 0,
      rps: 100.3,
      bytesSent: 604_000_000,
      bytesReceived: 16_384,
    },
    latencyMs: {
      count: 1000,
      min: 20,
      mean: 31.2,
      stdev: 20,
      p50: 29,
      p90: 37,
      p95: 38,
      p99: 100,
      'p99.9': 370,
      max: 370,
    },
    failures: [{ code: 'grpc 14 UNAVAILABLE', count: 3, sample: 'connection reset' }],
    series,
    generator: KEPT_UP,
    thresholds: [threshold('p99<500ms', 'p99', 500, 100), threshold('errors<1%', 'errors', 0.01, 3 / 1003)],
    stopped: null,
    passed: true,
    histogram: histogram(),
    ...overrides,
  };
}

/** The same run judged against a p99 bound it missed. */
export function failedSummaryFixture(): Summary {
  const passing = summaryFixture();
  return {
    ...passing,
    thresholds: [threshold('p99<50ms', 'p99', 50, 100), threshold('errors<1%', 'errors', 0.01, 3 / 1003)],
    passed: false,
  };
}
