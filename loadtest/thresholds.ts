import { parseDuration } from './duration.js';
import type { LatencyStat } from './stats/latency.js';

/**
 * Pass/fail criteria, k6 style: 'p99<500ms', 'mean<=80ms', 'errors<1%', 'rps>100', 'dropped<0.1%', 'requests>=1000'.
 * Latency statistics take a duration (ms when no unit); errors, late and dropped are ratios ('1%' or '0.01').
 */
export interface Threshold {
  readonly expression: string;
  /** 'p99', 'p99.9', 'min', 'mean', 'max', 'errors', 'late', 'dropped', 'rps', 'requests' */
  readonly metric: string;
  readonly op: '<' | '<=' | '>' | '>=';
  readonly limit: number;
}

export interface ThresholdResult extends Threshold {
  /** The measured value, in the limit's unit (ms, ratio, req/s, count); null when there was nothing to measure. */
  readonly actual: number | null;
  readonly ok: boolean;
}

/** What a threshold can read from a finished run. */
export interface ThresholdFacts {
  /** Latency in ms at a percentile (0-100), or 'min' | 'mean' | 'stdev' | 'max'; null without successful requests. */
  latency(stat: LatencyStat): number | null;
  readonly errors: number;
  readonly late: number;
  readonly dropped: number;
  readonly rps: number;
  readonly requests: number;
}

/** The metrics that are ratios ('1%' or '0.01'). */
export const RATIO_METRICS: readonly string[] = ['errors', 'late', 'dropped'];
const PATTERN = /^\s*(p\d+(?:\.\d+)?|min|mean|max|errors|late|dropped|rps|requests)\s*(<=|>=|<|>)\s*(\S+)\s*$/;

export function parseThreshold(expression: string): Threshold | string {
  const match = PATTERN.exec(expression);
  const problem = `--threshold '${expression}': expected METRIC<VALUE such as 'p99<500ms', 'errors<1%' or 'rps>100'`;
  if (!match) return `${problem} (metrics: pNN, min, mean, max, errors, late, dropped, rps, requests)`;
  const [, metric, op, value] = match as unknown as [string, string, Threshold['op'], string];
  let limit: number | undefined;
  if (RATIO_METRICS.includes(metric)) {
    limit = parseRatio(value);
  } else if (metric === 'rps' || metric === 'requests') {
    limit = Number(value);
  } else {
    limit = /^\d+(\.\d+)?$/.test(value) ? Number(value) : parseDuration(value);
    const percentile = metric.startsWith('p') ? Number(metric.slice(1)) : 50;
    if (!(percentile > 0 && percentile <= 100))
      return `${problem}: the percentile must be in (0, 100], found ${metric}`;
  }
  if (limit === undefined || !Number.isFinite(limit) || limit < 0)
    return `${problem}: '${value}' is not a valid ${RATIO_METRICS.includes(metric) ? 'ratio (0-100% or 0-1)' : metric === 'rps' || metric === 'requests' ? 'number' : 'duration'}`;
  return { expression: expression.trim(), metric, op, limit };
}

/** '1%' or '0.01' → 0.01; undefined unless within 0-1. */
export function parseRatio(text: string): number | undefined {
  const ratio = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  return text.trim() !== '' && ratio >= 0 && ratio <= 1 ? ratio : undefined;
}

function measure(metric: string, facts: ThresholdFacts): number | null {
  switch (metric) {
    case 'min':
    case 'mean':
    case 'max':
      return facts.latency(metric);
    case 'errors':
    case 'late':
    case 'dropped':
    case 'rps':
    case 'requests':
      return facts[metric];
    default:
      return facts.latency(Number(metric.slice(1)));
  }
}

const COMPARE: Record<Threshold['op'], (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** A threshold with nothing to measure (no successful request for a latency) fails. */
export function evaluateThresholds(thresholds: readonly Threshold[], facts: ThresholdFacts): ThresholdResult[] {
  return thresholds.map((threshold) => {
    const actual = measure(threshold.metric, facts);
    return { ...threshold, actual, ok: actual !== null && COMPARE[threshold.op](actual, threshold.limit) };
  });
}
