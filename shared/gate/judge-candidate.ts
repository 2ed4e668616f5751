import type { LoadTestSummary } from '../messages.js';
import { measuredSeconds } from '../report/measured-seconds.js';
import { histogramSample } from './histogram-sample.js';
import {
  hodgesLehmann,
  mannWhitney,
  sampleMedian,
  weightedSample,
  type MannWhitney,
  type WeightedSample,
} from './mann-whitney.js';

/**
 * The regression gate: does a candidate (the new release, one scenario) serve worse than the baseline (the release
 * serving now, same scenario, same load profile, measured at the same time)? See docs/gate.md for the choices.
 *
 * Latency: a one-sided Mann–Whitney U test on the two latency distributions, computed from the HDR histograms'
 * buckets (every successful request of the measured span, ties at mid-rank), and the Hodges–Lehmann shift as the
 * effect size. Rank-based because latencies are skewed and heavy-tailed (a t-test's mean is ruled by the tail and
 * its normality assumption fails); on the whole distribution because one percentile from each arm has no usable
 * sampling error and p99 alone is too noisy to judge a short run. Latencies of a load test are not independent
 * (queueing correlates neighbours) and two runs differ by more than sampling (the machine, the network), so on
 * thousands of requests the test calls tiny differences significant: a regression therefore needs both p < alpha
 * and a shift of more than `tolerance` of the baseline's median. The test guards against calling noise a
 * regression on small samples; the tolerance against calling a negligible one a regression on huge samples.
 *
 * In a capacity search, each summary is its best probe, run at its own rate: latency is not compared (the search
 * held both within the p99 bound) and the capacity decides.
 *
 * Throughput: the same test on the per-second request counts of the measured span (full seconds only), effect
 * size the relative change of their mean; in a capacity search, the capacity figures (one number per arm, so no
 * test: a drop of more than `tolerance` is a regression, the search's resolution being the noise floor).
 *
 * Errors: the same test on failed (1) / ok (0) per request, which is the two-proportion test, effect size the
 * difference of the error ratios against `errorsTolerance` (absolute: a ratio of a zero baseline has no meaning).
 */

/** What the gate needs of one arm: the figures the pipeline files, and a few fields of the load test's summary.json. */
export interface ArmMeasurement {
  figures: LoadTestSummary;
  /** Fields of loadtest/summary.ts's Summary: a parsed summary.json can be passed as it is. */
  summary: {
    /** HdrHistogram compressed base64 of the successful latencies in µs. */
    readonly histogram: string;
    readonly warmupMs: number;
    readonly measuredMs: number;
    readonly series: ReadonlyArray<{ readonly second: number; readonly requests: number }>;
  };
}

export interface GateOptions {
  /** Significance level of each one-sided test. */
  alpha: number;
  /** Relative change of latency (Hodges–Lehmann shift over the baseline median) or throughput that is not a regression. */
  tolerance: number;
  /** Increase of the error ratio (absolute, 0.001 = 0.1 percentage point) that is not a regression. */
  errorsTolerance: number;
}

/** Defaults, and their measured false-alarm and detection rates, in docs/gate.md. */
export const GATE_DEFAULTS: GateOptions = { alpha: 0.01, tolerance: 0.05, errorsTolerance: 0.001 };

/** Candidate against baseline: relative changes (0.1 = 10% more), errors as the difference of error ratios. */
export interface GateDeltas {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  rps: number | null;
  errors: number;
}

export interface GateTest {
  method: 'mann-whitney-exact' | 'mann-whitney-normal' | 'capacity';
  /** One-sided p-value that the candidate is worse; null when there is no test (capacity, or an empty arm). */
  p: number | null;
  /** The candidate's U (worse pairs, ties one half); null without a test. */
  u: number | null;
  /** The effect size compared with the tolerance (see GateOptions); null when an arm had nothing to compare. */
  effect: number | null;
  regressed: boolean;
}

export interface Verdict {
  passed: boolean;
  /** Human sentences: the thresholds, then one per comparison. */
  reasons: string[];
  /** Null without a baseline. */
  deltas: GateDeltas | null;
  /** Null without a baseline; a test is null when it could not be run (empty arm, not applicable). */
  tests: { latency: GateTest | null; throughput: GateTest | null; errors: GateTest | null } | null;
}

const percent = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const pText = (p: number): string => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));
const relative = (candidate: number, baseline: number): number | null =>
  baseline > 0 ? candidate / baseline - 1 : null;
const ratio = (f: LoadTestSummary): number => (f.requests > 0 ? f.failures / f.requests : 0);

function method(test: MannWhitney): GateTest['method'] {
  return test.method === 'exact' ? 'mann-whitney-exact' : 'mann-whitney-normal';
}

/** The verdict word of a test: the regression, a significant change within the tolerance, or nothing. */
function outcome(test: MannWhitney, regressed: boolean, worse: string, options: GateOptions): string {
  const p = `Mann-Whitney p=${pText(test.p)}`;
  if (regressed) return `${p}: ${worse}`;
  if (test.p < options.alpha)
    return `${p}: significant but within the ${percent(options.tolerance).slice(1)} tolerance`;
  return `${p}: no regression`;
}

/** Requests per full second of the measured span. */
function perSecond(summary: ArmMeasurement['summary']): WeightedSample {
  return weightedSample(measuredSeconds(summary).map((s) => s.requests));
}

function mean(sample: WeightedSample): number {
  let n = 0;
  let sum = 0;
  for (const [v, c] of sample) {
    n += c;
    sum += v * c;
  }
  return n ? sum / n : NaN;
}

function compareLatency(c: ArmMeasurement, b: ArmMeasurement, options: GateOptions): [GateTest | null, string] {
  if (c.figures.capacity && b.figures.capacity) {
    // Each summary is its best probe, at its own rate: a higher capacity would read as a higher latency.
    return [null, 'latency not compared: in a capacity search each arm ran at its own rate, within the p99 bound'];
  }
  const cs = histogramSample(c.summary.histogram);
  const bs = histogramSample(b.summary.histogram);
  const test = mannWhitney(cs, bs);
  const figures = `p50 ${c.figures.p50Ms} ms vs ${b.figures.p50Ms} ms, p99 ${c.figures.p99Ms} ms vs ${b.figures.p99Ms} ms`;
  if (!test) {
    const empty = cs.length === 0 ? 'the candidate' : 'the baseline';
    return [null, `latency not compared: ${empty} has no successful request in its measured span`];
  }
  const effect = hodgesLehmann(cs, bs) / sampleMedian(bs);
  const regressed = test.p < options.alpha && effect > options.tolerance;
  const sentence = `latency ${percent(effect)} (Hodges-Lehmann shift; ${figures}), ${outcome(test, regressed, 'slower', options)}`;
  return [{ method: method(test), p: test.p, u: test.u, effect, regressed }, sentence];
}

function compareThroughput(c: ArmMeasurement, b: ArmMeasurement, options: GateOptions): [GateTest | null, string] {
  const cCapacity = c.figures.capacity;
  const bCapacity = b.figures.capacity;
  if (cCapacity && bCapacity) {
    const cRps = cCapacity.rps ?? 0;
    const bRps = bCapacity.rps ?? 0;
    const effect = relative(cRps, bRps);
    const regressed = bRps > 0 && (effect ?? 0) < -options.tolerance;
    const verdict = regressed ? 'lower' : 'no regression';
    const change = effect === null ? 'not comparable (the baseline held no rate)' : percent(effect);
    return [
      { method: 'capacity', p: null, u: null, effect, regressed },
      `capacity ${change} (${cCapacity.rps ?? 'none'} vs ${bCapacity.rps ?? 'none'} req/s within the bounds): ${verdict}`,
    ];
  }
  const cs = perSecond(c.summary);
  const bs = perSecond(b.summary);
  // Worse is fewer: test the baseline for being the larger one.
  const test = mannWhitney(bs, cs);
  if (!test) return [null, 'throughput not compared: an arm has no full second in its measured span'];
  const effect = mean(cs) / mean(bs) - 1;
  const regressed = test.p < options.alpha && effect < -options.tolerance;
  const sentence =
    `throughput ${percent(effect)} (${c.figures.rps} vs ${b.figures.rps} req/s; per-second counts, ` +
    `${test.n2} vs ${test.n1} s), ${outcome(test, regressed, 'lower', options)}`;
  return [{ method: method(test), p: test.p, u: test.u, effect, regressed }, sentence];
}

function compareErrors(c: ArmMeasurement, b: ArmMeasurement, options: GateOptions): [GateTest | null, string] {
  const binary = (f: LoadTestSummary): WeightedSample =>
    (
      [
        [0, f.requests - f.failures],
        [1, f.failures],
      ] as const
    ).filter(([, n]) => n > 0);
  const test = mannWhitney(binary(c.figures), binary(b.figures));
  if (!test) return [null, 'errors not compared: an arm made no request'];
  const effect = ratio(c.figures) - ratio(b.figures);
  const regressed = test.p < options.alpha && effect > options.errorsTolerance;
  const share = (f: LoadTestSummary) => `${(ratio(f) * 100).toFixed(2)}%`;
  const p = `Mann-Whitney p=${pText(test.p)}`;
  const verdict = regressed
    ? `${p}: more failures`
    : test.p < options.alpha
      ? `${p}: significant but within ${(options.errorsTolerance * 100).toFixed(2)} points`
      : `${p}: no regression`;
  return [
    { method: method(test), p: test.p, u: test.u, effect, regressed },
    `errors ${share(c.figures)} vs ${share(b.figures)} (${c.figures.failures} of ${c.figures.requests} vs ${b.figures.failures} of ${b.figures.requests}), ${verdict}`,
  ];
}

function thresholdReason(figures: LoadTestSummary): string {
  if (figures.thresholdsPassed) return 'thresholds held';
  const failed = figures.failedThresholds.length ? `: ${figures.failedThresholds.join(', ')}` : '';
  return `thresholds failed${failed}`;
}

/**
 * The gate's verdict on a candidate: passed when its thresholds hold and, with a baseline, neither latency,
 * throughput nor errors regressed (see the comment at the top of this file). Without a baseline (a first release)
 * only the thresholds count, and the reasons say so.
 */
export function judgeCandidate(
  candidate: ArmMeasurement,
  baseline: ArmMeasurement | undefined,
  options: Partial<GateOptions> = {},
): Verdict {
  const o: GateOptions = { ...GATE_DEFAULTS, ...options };
  const thresholds = thresholdReason(candidate.figures);
  if (!baseline) {
    return {
      passed: candidate.figures.thresholdsPassed,
      reasons: [thresholds, 'no baseline (first release): judged on its thresholds only'],
      deltas: null,
      tests: null,
    };
  }
  const [latency, latencyReason] = compareLatency(candidate, baseline, o);
  const [throughput, throughputReason] = compareThroughput(candidate, baseline, o);
  const [errors, errorsReason] = compareErrors(candidate, baseline, o);
  const c = candidate.figures;
  const b = baseline.figures;
  const rps = c.capacity && b.capacity ? relative(c.capacity.rps ?? 0, b.capacity.rps ?? 0) : relative(c.rps, b.rps);
  const regressed = [latency, throughput, errors].some((t) => t?.regressed);
  return {
    passed: c.thresholdsPassed && !regressed,
    reasons: [thresholds, latencyReason, throughputReason, errorsReason],
    deltas: {
      p50: relative(c.p50Ms, b.p50Ms),
      p95: relative(c.p95Ms, b.p95Ms),
      p99: relative(c.p99Ms, b.p99Ms),
      rps,
      errors: ratio(c) - ratio(b),
    },
    tests: { latency, throughput, errors },
  };
}
