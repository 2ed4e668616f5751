import type { ComparedSummary } from '../../shared/report/compare-runs.js';
import { encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { newHistogram } from '../../loadtest/stats/window.js';
import type { ArmMeasurement } from '../../shared/gate/index.js';
import type { LoadTestSummary } from '../../shared/messages.js';

/** Measurements of one arm drawn from a known distribution, as a load test's summary.json holds them. */

/** A seeded generator (mulberry32) of standard normal draws (Box–Muller). */
function normals(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

export interface ArmShape {
  seed: number;
  /** Latencies: median ms, log-normal spread. */
  medianMs?: number;
  spread?: number;
  requests?: number;
  failures?: number;
  /** Requests per second of the 10 measured seconds (after 2 s of warmup). */
  perSecond?: number[];
  thresholdsPassed?: boolean;
  capacityRps?: number | null;
}

export function arm(shape: ArmShape): ArmMeasurement & { summary: ComparedSummary } {
  const { seed, medianMs = 40, spread = 0.3, requests = 4000, failures = 0 } = shape;
  const draw = normals(seed);
  const histogram = newHistogram();
  for (let i = 0; i < requests - failures; i++) {
    histogram.recordValue(Math.round(medianMs * 1000 * Math.exp(spread * draw())));
  }
  const ms = (p: number) => (histogram.totalCount ? histogram.getValueAtPercentile(p) / 1000 : 0);
  const perSecond = shape.perSecond ?? Array.from({ length: 10 }, () => requests / 10);
  const figures: LoadTestSummary = {
    requests,
    failures,
    rps: perSecond.reduce((s, n) => s + n, 0) / perSecond.length,
    p50Ms: ms(50),
    p95Ms: ms(95),
    p99Ms: ms(99),
    thresholdsPassed: shape.thresholdsPassed ?? true,
    failedThresholds: shape.thresholdsPassed === false ? ['p99<100ms'] : [],
    ...(shape.capacityRps !== undefined
      ? {
          capacity: {
            rps: shape.capacityRps,
            p99BoundMs: 200,
            errorsBound: 0.01,
            limit: 'server' as const,
            verdict: 'held',
          },
        }
      : {}),
  };
  return {
    figures,
    summary: {
      // What a comparison reads besides (shared/report/compare-runs.ts).
      load: { kind: 'open', description: `open load, ${figures.rps} req/s` },
      requests: { total: requests, rps: figures.rps, failed: failures, errorRatio: failures / requests },
      latencyMs: { p50: figures.p50Ms, p95: figures.p95Ms, p99: figures.p99Ms },
      generator: { limited: false },
      histogram: encodeIntoCompressedBase64(histogram),
      warmupMs: 2000,
      measuredMs: 10_000,
      // Warmup seconds (0, 1) and a partial last second (12) that the gate must leave out.
      series: [
        { second: 0, requests: 1 },
        { second: 1, requests: 1 },
        ...perSecond.map((requests, i) => ({ second: i + 2, requests })),
        { second: 12, requests: 1 },
      ],
    },
  };
}
