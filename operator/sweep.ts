import type { Firestore } from '@google-cloud/firestore';
import type { Summary } from '../loadtest/summary.js';
import { loadScenario, scenarioVcpus, type Scenario } from '../shared/deploy/index.js';
import { bestCandidate, type CandidateResult } from '../shared/gate/best-candidate.js';
import { followRun } from './follow-run.js';
import { loadTestSeconds } from '../shared/launch-load-test.js';
import type { Publish } from '../shared/gcp/publisher.js';
import type { LoadProfile } from '../shared/messages.js';
import { redeploy } from './redeploy.js';
import type { RunRecord, Store } from '../shared/store.js';

export interface SweepEntry {
  scenario: string;
  /** The sweep's run, as it ended. */
  run: RunRecord;
  /** The load test's whole summary, when it ran. */
  summary?: Summary;
  /** vCPU the scenario pays for: replicas × the pod's CPU. */
  vcpus: number;
  rpsPerVcpu?: number;
  /** Why it cannot be recommended, when it cannot. */
  disqualified?: string;
}

export interface SweepResult {
  entries: SweepEntry[];
  recommended?: SweepEntry;
  /** Why that one (bestCandidate's words), or why none. */
  why: string;
}

export interface SweepDeps {
  store: Store;
  publish: Publish;
  firestore: Firestore;
  namespace: string;
  print: (line: string) => void;
  timeoutMs?: number;
}

/**
 * The seed's whole experiment, serverless: one run whose candidates are the scenarios, all with the same image and
 * the same load profile, deployed side by side (in waves past CANDIDATE_VCPUS) and judged by the pipeline's gate,
 * as `modelship redeploy` with several scenarios; this only starts the run and follows it. The recommendation is
 * the pipeline's own rule (shared/gate/best-candidate.ts) with the sweep's p99 bound: the most throughput per vCPU
 * among the scenarios the gate passed, p99 at most the bound; the sweep also wants no errors at all. (With
 * PROMOTION=auto the pipeline also promotes its own choice: a sweep is a release of the image.)
 */
export async function sweep(
  o: { scenarios: readonly string[]; image: string; profile: LoadProfile; p99BoundMs: number },
  deps: SweepDeps,
): Promise<SweepResult> {
  const scenarios = await Promise.all(o.scenarios.map((name) => loadScenario(name)));
  deps.print(`candidates ${o.scenarios.join(', ')}: deploying ${o.image}`);
  const message = await redeploy(
    { scenarios: o.scenarios, image: o.image, namespace: deps.namespace, profile: o.profile },
    deps,
  );
  const run = await followRun(deps.firestore, message.runId, {
    print: deps.print,
    timeoutMs: deps.timeoutMs ?? (o.scenarios.length * loadTestSeconds(o.profile) + 900) * 1000,
  });
  const summaries = new Map<string, Summary>();
  for (const { name } of scenarios) {
    const saved = await deps.store.loadTest(message.runId, name);
    if (typeof saved?.summaryJson === 'string') summaries.set(name, JSON.parse(saved.summaryJson) as Summary);
  }
  return judgeSweep(scenarios, run, summaries, o.p99BoundMs);
}

/**
 * The sweep's entries and recommendation from its run and the load tests' summaries: each scenario disqualified
 * or not (no load test, no capacity, errors, p99 over the bound, refused by the gate), then bestCandidate among the
 * rest, as the pipeline chooses what to promote.
 */
export function judgeSweep(
  scenarios: readonly Scenario[],
  run: RunRecord,
  summaries: ReadonlyMap<string, Summary>,
  p99BoundMs: number,
): SweepResult {
  const entries: SweepEntry[] = [];
  const measured: CandidateResult[] = [];
  for (const scenario of scenarios) {
    const candidate = run.scenarios?.[scenario.name];
    const summary = summaries.get(scenario.name);
    const vcpus = scenarioVcpus(scenario);
    const entry: SweepEntry = { scenario: scenario.name, run, vcpus, ...(summary ? { summary } : {}) };
    // A capacity search's figure is the most it held within the bounds; a fixed load's is what it was offered.
    const capacity = summary?.capacity;
    if (summary) entry.rpsPerVcpu = (capacity ? (capacity.rps ?? 0) : summary.requests.rps) / vcpus;
    entry.disqualified = !summary
      ? `no load test: ${candidate?.status === 'failed' ? `failed at ${candidate.stage}: ${candidate.reason}` : (candidate?.status ?? run.status)}`
      : capacity
        ? capacity.rps === null || capacity.limit === 'generator'
          ? `no capacity: ${capacity.verdict}`
          : capacity.p99BoundMs > p99BoundMs
            ? `capacity searched under p99 ${capacity.p99BoundMs} ms, not ${p99BoundMs} ms`
            : undefined
        : summary.requests.failed > 0
          ? `${summary.requests.failed} errors`
          : (summary.latencyMs.p99 ?? Infinity) > p99BoundMs
            ? `p99 ${summary.latencyMs.p99} ms is over ${p99BoundMs} ms`
            : candidate?.verdict?.passed === false
              ? `refused by the gate: ${candidate.verdict.reasons.join('; ')}`
              : !candidate?.figures
                ? 'its run recorded no figures'
                : undefined;
    if (!entry.disqualified) delete entry.disqualified;
    entries.push(entry);
    if (!entry.disqualified && candidate?.figures) {
      measured.push({ key: scenario.name, scenario, figures: candidate.figures, verdict: { passed: true } });
    }
  }
  const best = bestCandidate(measured, { p99BoundMs });
  const recommended = best.key === null ? undefined : entries.find((e) => e.scenario === best.key);
  return { entries, ...(recommended ? { recommended } : {}), why: best.key === null ? best.reason : best.why };
}

/** The sweep's verdict in words, for the terminal and the report. */
export function recommendation(result: SweepResult, p99BoundMs: number): string {
  const lines = result.entries.map(
    (e) =>
      `  ${e.scenario.padEnd(28)} ${e.vcpus.toFixed(1).padStart(5)} vCPU  ` +
      (e.rpsPerVcpu === undefined ? '' : `${e.rpsPerVcpu.toFixed(2).padStart(7)} req/s per vCPU  `) +
      (e.disqualified ? `(${e.disqualified})` : 'ok'),
  );
  const what = result.entries.some((e) => e.summary?.capacity) ? 'capacity' : 'throughput';
  const verdict = result.recommended
    ? `Recommended: ${result.recommended.scenario}, the most ${what} per vCPU with p99 at most ${p99BoundMs} ms and no errors (${result.why}).`
    : `No scenario kept p99 at most ${p99BoundMs} ms without errors${result.entries.some((e) => !e.disqualified) ? ` (${result.why})` : ''}.`;
  return [...lines, verdict].join('\n');
}
