import type { MeasuredDeployment } from '../shared/measured-deployment.js';
import type { ClosedConfig } from './models/closed.js';
import type { OpenConfig } from './models/open.js';
import type { LatencyStats } from './stats/latency.js';
import type { ThresholdResult } from './thresholds.js';

/** The version of summary.json; bump it when a field changes meaning or goes away (docs/loadtest.md). */
export const SUMMARY_SCHEMA = 'modelship.loadtest.summary/v1';

export interface SeriesPoint {
  /** Seconds since the start of the run (the warmup included), by completion time. */
  readonly second: number;
  readonly requests: number;
  readonly failures: number;
  /** Users running (closed) or the target rate in req/s (open) at that second. */
  readonly target: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly 'p99.9': number | null;
  readonly max: number | null;
}

export interface GeneratorHealth {
  readonly workers: number;
  readonly cores: number;
  /** Process CPU (every thread) as a percentage of the cores given, mean and peak over the run. */
  readonly cpuPercent: { readonly mean: number; readonly max: number };
  /** Worst event-loop delay seen in any thread, ms. */
  readonly eventLoopDelayMs: { readonly p99: number; readonly max: number };
  /** True when the generator, not the server, was the limit: the figures are then a floor, not the server's. */
  readonly limited: boolean;
  readonly reasons: readonly string[];
}

/** One probe of a capacity search: a constant-rate open load, judged against the bounds. */
export interface CapacityProbe {
  /** The offered (scheduled) rate, req/s. */
  readonly rps: number;
  /** Requests completed per second of the measured span. */
  readonly achievedRps: number;
  readonly p99Ms: number | null;
  /** failed / total */
  readonly errors: number;
  /** False when the generator did not keep its schedule: the probe says nothing about the server. */
  readonly valid: boolean;
  /** Within the p99 and errors bounds (and valid). */
  readonly passed: boolean;
  /** Why it passed, failed or is invalid, in words. */
  readonly reason: string;
}

/** The result of `--find-capacity`: the most throughput held with p99 and errors within their bounds. */
export interface Capacity {
  /** The achieved req/s of the best passing probe; null when no probe passed. */
  readonly rps: number | null;
  readonly p99Ms: number | null;
  readonly p99BoundMs: number;
  readonly errorsBound: number;
  /** What ended the search: the server (bracket closed), the generator (a probe was invalid), or the probe budget. */
  readonly limit: 'server' | 'generator' | 'probes' | 'stopped';
  readonly verdict: string;
  readonly probes: readonly CapacityProbe[];
}

export interface Summary {
  readonly schema: typeof SUMMARY_SCHEMA;
  readonly scenario: string | null;
  /** Only in the pipeline (--deployment): the scenario as deployed, the image, the model, the run, the release. */
  readonly deployment?: MeasuredDeployment;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly target: {
    readonly address: string;
    readonly protocol: 'grpc' | 'rest';
    readonly model: string;
    readonly signature: string;
    readonly version: number | null;
  };
  readonly load: (OpenConfig | ClosedConfig) & { readonly description: string };
  readonly warmupMs: number;
  readonly durationMs: number;
  /** The measured span: from the end of the warmup to the end of the run (shorter when stopped early). */
  readonly measuredMs: number;
  readonly requests: {
    readonly total: number;
    readonly ok: number;
    readonly failed: number;
    /** failed / total */
    readonly errorRatio: number;
    /** Sent more than LATE_AFTER_MS after their intended time (open model). */
    readonly late: number;
    /** Not sent: the in-flight cap was reached (open model). */
    readonly dropped: number;
    readonly warmup: number;
    readonly rps: number;
    readonly bytesSent: number;
    readonly bytesReceived: number;
  };
  /**
   * Successful requests only; ms with microsecond resolution (HDR, 3 digits). The open model measures from the
   * intended send time (no coordinated omission), the closed model from the actual send (a user waits for its reply).
   */
  readonly latencyMs: LatencyStats;
  readonly failures: readonly { readonly code: string; readonly count: number; readonly sample: string }[];
  readonly series: readonly SeriesPoint[];
  readonly generator: GeneratorHealth;
  readonly thresholds: readonly ThresholdResult[];
  /** Why the run stopped early, or null. */
  readonly stopped: string | null;
  readonly passed: boolean;
  /** The latency histogram (µs) in HdrHistogram's compressed base64 form: runs and tasks merge exactly. */
  readonly histogram: string;
  /** Only with --find-capacity: the search; the rest of the summary is its best passing probe (or its last). */
  readonly capacity?: Capacity;
}

/** 0 passed, 1 a threshold failed or the run stopped on failures. (2, could not run, is a thrown error.) */
export function exitCode(summary: Summary): number {
  return summary.passed ? 0 : 1;
}
