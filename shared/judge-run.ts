import { armKey, armOf } from './arm.js';
import type { Config } from './config.js';
import { loadScenario } from './deploy/scenario-loader.js';
import { bestCandidate, judgeCandidate, type ArmMeasurement, type CandidateResult } from './gate/index.js';
import type { CandidateVerdict, RunRecord, ScenarioRecord, Store } from './store.js';

export const GATE_SETTINGS = ['PROMOTION_OBJECTIVE', 'GATE_P99_BOUND_MS', 'GATE_TOLERANCE', 'GATE_ALPHA'] as const;

/** What the gate decided for a run: a verdict per release candidate, and the one to serve, or none and why. */
export interface RunJudgement {
  verdicts: Record<string, CandidateVerdict>;
  best: { scenario: string; reason: string } | { scenario: null; reason: string };
}

/** A candidate's measurement as the job stored it (the whole summary.json beside the figures). */
async function measurement(store: Store, runId: string, key: string, c: ScenarioRecord) {
  const saved = await store.loadTest(runId, key);
  if (!c.figures || typeof saved?.summaryJson !== 'string') return undefined;
  return { figures: c.figures, summary: JSON.parse(saved.summaryJson) as ArmMeasurement['summary'] };
}

const failed = (what: string, c: ScenarioRecord): CandidateVerdict => ({
  passed: false,
  reasons: [`${what} ${c.stage ? `failed at ${c.stage}` : 'failed'}: ${c.reason ?? 'no reason recorded'}`],
  deltas: null,
});

/**
 * The gate over a run whose candidates have all ended (docs/gate.md): each release candidate against its baseline
 * (the serving image, same scenario, measured beside it), then the best that passed by PROMOTION_OBJECTIVE. A
 * candidate whose baseline could not be measured does not pass: a regression could not be ruled out.
 */
export async function judgeRun(
  run: RunRecord,
  store: Store,
  config: Config<(typeof GATE_SETTINGS)[number]>,
): Promise<RunJudgement> {
  const options = { alpha: config.GATE_ALPHA, tolerance: config.GATE_TOLERANCE };
  const candidates = run.scenarios ?? {};
  const verdicts: Record<string, CandidateVerdict> = {};
  const results: CandidateResult[] = [];
  for (const [key, c] of Object.entries(candidates)) {
    const { scenario, arm } = armOf(key);
    if (arm === 'baseline') continue;
    const base = candidates[armKey(scenario, 'baseline')];
    const mine = c.status === 'succeeded' ? await measurement(store, run.runId, key, c) : undefined;
    const theirs =
      base?.status === 'succeeded'
        ? await measurement(store, run.runId, armKey(scenario, 'baseline'), base)
        : undefined;
    let verdict: CandidateVerdict;
    if (!mine) verdict = failed('the candidate', c);
    else if (base && !theirs) verdict = failed('its baseline (the serving image)', base);
    else verdict = judgeCandidate(mine, theirs, options);
    verdicts[key] = { passed: verdict.passed, reasons: verdict.reasons, deltas: verdict.deltas };
    if (mine) results.push({ key, scenario: await loadScenario(scenario), figures: mine.figures, verdict });
  }
  const best = bestCandidate(results, { objective: config.PROMOTION_OBJECTIVE, p99BoundMs: config.GATE_P99_BOUND_MS });
  if (best.key !== null) return { verdicts, best: { scenario: best.scenario, reason: best.why } };
  // With nothing measured, this reason becomes the run's failure ("failed at promote"): it says why each candidate
  // was not measured, or the run would hide that its candidates failed at deploy or at load-test.
  const unmeasured =
    results.length === 0 ? Object.entries(verdicts).map(([k, v]) => `${k}: ${v.reasons.join('; ')}`) : [];
  const reason = unmeasured.length ? `${best.reason} (${unmeasured.join('; ')})` : best.reason;
  return { verdicts, best: { scenario: null, reason } };
}
