import { encodeIntoCompressedBase64 } from '../shared/hdr-histogram.js';
import type { LoadTestOptions } from './options.js';
import type { SelfMonitor } from './self-monitor.js';
import type { Aggregate } from './stats/aggregate.js';
import { latencyAt, latencyStats, type LatencyStat } from './stats/latency.js';
import { SUMMARY_SCHEMA, type Summary } from './summary.js';
import { evaluateThresholds } from './thresholds.js';

export interface SummaryInput {
  readonly options: LoadTestOptions;
  readonly description: string;
  readonly aggregate: Aggregate;
  readonly targetAt: (tMs: number) => number;
  readonly startMs: number;
  readonly endMs: number;
  readonly startedAt: string;
  readonly stopped: string | null;
  readonly health: Pick<SelfMonitor, 'health'>;
  /** The version the server reported serving (GetModelMetadata), when --version named none. */
  readonly modelVersion?: number;
}

export function buildSummary(input: SummaryInput): Summary {
  const { options, aggregate, startMs, endMs } = input;
  const total = aggregate.total;
  // The planned span, so a rate reads as the plan's (the drain of the last replies does not dilute it).
  const planned = options.durationMs - options.warmupMs;
  const measuredMs =
    input.stopped === null ? planned : Math.max(0, Math.min(planned, endMs - startMs - options.warmupMs));
  const rps = measuredMs > 0 ? total.requests / (measuredMs / 1000) : 0;
  const ok = total.requests - total.failures;
  const errorRatio = total.requests ? total.failures / total.requests : 0;
  const latency = (stat: LatencyStat): number | null => latencyAt(total, stat);
  const scheduled = total.requests + total.dropped;
  const thresholds = evaluateThresholds(options.thresholds, {
    latency,
    errors: errorRatio,
    late: total.requests ? total.late / total.requests : 0,
    dropped: scheduled ? total.dropped / scheduled : 0,
    rps,
    requests: total.requests,
  });
  const series = aggregate.series().map((w) => {
    const stats = latencyStats(w);
    return {
      second: w.second,
      requests: w.requests,
      failures: w.failures,
      target: Math.round(input.targetAt(w.second * 1000) * 100) / 100,
      p50: stats.p50,
      p95: stats.p95,
      p99: stats.p99,
      'p99.9': stats['p99.9'],
      max: stats.max,
    };
  });
  return {
    schema: SUMMARY_SCHEMA,
    scenario: options.scenario ?? null,
    ...(options.deployment ? { deployment: options.deployment } : {}),
    startedAt: input.startedAt,
    finishedAt: new Date(endMs).toISOString(),
    target: {
      address: options.target.authority,
      protocol: options.protocol,
      model: options.model,
      signature: options.signature,
      version: options.version ?? input.modelVersion ?? null,
    },
    load: { ...options.load, description: input.description },
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    measuredMs: Math.round(measuredMs),
    requests: {
      total: total.requests,
      ok,
      failed: total.failures,
      errorRatio,
      late: total.late,
      dropped: total.dropped,
      warmup: aggregate.warmupRequests,
      rps: Math.round(rps * 100) / 100,
      bytesSent: total.bytesSent,
      bytesReceived: total.bytesReceived,
    },
    latencyMs: latencyStats(total),
    failures: [...total.failureKinds].map(([code, kind]) => ({ code, ...kind })).sort((a, b) => b.count - a.count),
    series,
    generator: input.health.health(total.requests, total.late),
    thresholds,
    stopped: input.stopped,
    passed: input.stopped === null && thresholds.every((t) => t.ok),
    histogram: encodeIntoCompressedBase64(total.histogram),
  };
}
