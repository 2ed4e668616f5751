import { armKey } from './arm.js';
import { launchWave, requestWave, waveToRequest } from './candidates.js';
import type { Config } from './config.js';
import type { Deadlines } from './deadline.js';
import type { Publish } from './gcp/publisher.js';
import { runSection } from './github/run-section.js';
import type { ReleaseNotes } from './github/releases.js';
import { MessageError } from './errors.js';
import { runOnce } from './idempotency.js';
import { judgeRun, GATE_SETTINGS } from './judge-run.js';
import type { Logger } from './log.js';
import type { LoadTestFinished, PipelineFailed, PromotionFinished, RunOutcome } from './messages.js';
import type { ReportStore } from './report-store.js';
import { runningRun } from './run-guard.js';
import { writeRunComparison } from './run-comparison.js';
import { RUN_HOLDER, type RunRecord, type ScenarioOutcome, type ScenarioRecord, type Store } from './store.js';
import { FUNCTIONS } from './wiring.js';

export const REPORT_SETTINGS = ['PROMOTION', ...GATE_SETTINGS] as const;

export interface ReportDeps {
  store: Store;
  /** Absent when no GitHub token is configured: the run record is still completed. */
  notes: ReleaseNotes | undefined;
  publish: Publish;
  log: Logger;
  config: Config<(typeof REPORT_SETTINGS)[number]>;
  deadlines: Deadlines;
  /** Where the run's comparison page goes, beside its reports; absent (no REPORT_BUCKET): none is written. */
  reports?: ReportStore;
}

/**
 * The step that ends candidates and runs, and writes the outcome on the GitHub release:
 * - a candidate's load test (LoadTestFinished) or failure (PipelineFailed with a scenario) ends that candidate;
 *   when a wave has ended, the next is requested; when every candidate has ended, the gate judges them
 *   (shared/judge-run.ts), the release gets the table, and PromoteRequested names the one to serve, or none;
 * - PromotionFinished, or a failure of the run as a whole (webhook, bake, promote), ends the run.
 * A message for an unknown run is refused, one for a finished run or candidate ignored; each effect is claimed, so
 * a redelivery does nothing twice and a delivery after a crash does what was left.
 */
export async function reportResults(message: RunOutcome, deps: ReportDeps): Promise<void> {
  if (message.type === 'PromotionFinished' && message.requestedBy === 'operator')
    return operatorPromoted(message, deps);
  const run = await runningRun(deps.store, message.runId, message.type, deps.log);
  if (!run) return;
  if (message.type === 'PromotionFinished') return endRun(run, message, deps);
  if (
    message.type === 'PipelineFailed' &&
    !(message.scenario && run.scenarios?.[armKey(message.scenario, message.arm)])
  ) {
    return endRun(run, message, deps);
  }
  return candidateEnded(run, message, deps);
}

async function candidateEnded(
  run: RunRecord,
  message: LoadTestFinished | PipelineFailed,
  deps: ReportDeps,
): Promise<void> {
  const { store } = deps;
  const key = armKey(message.scenario ?? '', message.arm);
  const log = deps.log.child({ runId: run.runId, scenario: key });
  let outcome: ScenarioOutcome;
  let measured: Partial<ScenarioRecord> = {};
  if (message.type === 'LoadTestFinished') {
    const { summary, reportUrl } = message;
    // Measured, whatever the thresholds say: the gate judges them with the rest.
    outcome = { status: 'succeeded' };
    measured = { figures: summary, reportUrl };
    await store.finishStage(run.runId, 'load-test', {
      status: summary.thresholdsPassed ? 'succeeded' : 'failed',
      details: { scenario: key, reportUrl, ...summary },
      ...(summary.thresholdsPassed ? {} : { reason: `thresholds failed: ${summary.failedThresholds.join(', ')}` }),
    });
  } else {
    const { stage, reason, detailsUrl } = message;
    outcome = { status: 'failed', stage, reason, ...(detailsUrl ? { detailsUrl } : {}) };
  }
  const ended = await store.endScenario(run.runId, key, outcome, measured);
  const after = ended.run ?? (await store.getRun(run.runId)) ?? run;
  if (!ended.accepted) log.warn('message for a candidate that has ended ignored', { type: message.type });
  else log.info('candidate ended', { status: outcome.status });
  const candidates = after.scenarios ?? {};
  const open = Object.values(candidates).some((c) => c.status === 'pending' || c.status === 'running');
  if (open) {
    // A candidate that failed may have been the last of its wave the others waited for.
    if (outcome.status === 'failed') await launchWave(run.runId, candidates[key]?.wave ?? 0, candidates, deps);
    const wave = waveToRequest(candidates);
    if (wave !== undefined) await requestWave(run.runId, wave, candidates, deps);
    return;
  }
  // Every candidate has ended (now, or before a crash that this redelivery recovers from): judge, once.
  await judge(after, deps);
}

/** The gate over every candidate, the table on the release, and the promotion request: once per run. */
async function judge(run: RunRecord, deps: ReportDeps): Promise<void> {
  const { store, config, deadlines } = deps;
  const claim = { staleMs: FUNCTIONS.reportResults.timeoutS * 1000 };
  await runOnce(store, `judge/${run.runId}`, claim, async () => {
    const { verdicts, best } = await judgeRun(run, store, config);
    const decision =
      config.PROMOTION === 'auto' || !best.scenario
        ? best
        : {
            scenario: null,
            reason:
              config.PROMOTION === 'manual'
                ? `PROMOTION=manual: ${best.reason}; to serve it: modelship promote ${run.runId} --scenario ${best.scenario}`
                : `PROMOTION=off: ${best.reason}; nothing is promoted`,
          };
    await store.setScenarios(
      run.runId,
      Object.fromEntries(Object.entries(verdicts).map(([key, verdict]) => [key, { verdict }])),
    );
    const image = decision.scenario ? run.scenarios?.[armKey(decision.scenario)]?.image : undefined;
    const what = decision.scenario ? `the promotion of ${decision.scenario}` : 'the candidates to be torn down';
    await store.recordPromotion(
      run.runId,
      {
        status: 'pending',
        scenario: decision.scenario,
        ...(image ? { image } : {}),
        reason: decision.reason,
        requestedBy: 'pipeline',
        at: new Date().toISOString(),
      },
      deadlines.after(FUNCTIONS.deployScenario.timeoutS, 'promote', `deployScenario to start ${what}`),
    );
    const comparisonUrl = deps.reports && (await writeRunComparison(run, { ...deps, reports: deps.reports }));
    if (comparisonUrl) await store.updateRun(run.runId, { comparisonUrl });
    const judged = (await store.getRun(run.runId)) ?? run;
    await writeRelease(judged, deps);
    await deps.publish({
      type: 'PromoteRequested',
      version: 1,
      runId: run.runId,
      scenario: decision.scenario,
      ...(image ? { image } : {}),
      requestedBy: 'pipeline',
      reason: decision.reason,
    });
    deps.log.info('candidates judged', { runId: run.runId, promote: decision.scenario, reason: decision.reason });
    return {};
  });
}

/**
 * The end of a run: promoted (succeeded), nothing to promote (succeeded when a candidate passed the gate and a
 * person decides, failed when none passed), or a failure of the run as a whole.
 */
async function endRun(run: RunRecord, message: PromotionFinished | PipelineFailed, deps: ReportDeps): Promise<void> {
  const { store } = deps;
  const log = deps.log.child({ runId: run.runId });
  const startedAt = new Date().toISOString();
  await store.startStage(run.runId, 'report');
  let outcome: ScenarioOutcome;
  if (message.type === 'PipelineFailed') {
    const { stage, reason, detailsUrl } = message;
    outcome = { status: 'failed', stage, reason, ...(detailsUrl ? { detailsUrl } : {}) };
  } else {
    const passed = Object.values(run.scenarios ?? {}).some((c) => c.verdict?.passed);
    await store.finishStage(run.runId, 'promote', {
      status: message.outcome === 'promoted' ? 'succeeded' : 'skipped',
      details: { scenario: message.scenario, ...(message.image ? { image: message.image } : {}) },
      reason: message.reason,
    });
    await store.recordPromotion(run.runId, {
      status: message.outcome,
      scenario: message.scenario,
      ...(message.image ? { image: message.image } : {}),
      reason: message.reason,
      requestedBy: message.requestedBy,
      at: startedAt,
    });
    outcome =
      message.outcome === 'promoted' || passed
        ? { status: 'succeeded', result: { promoted: message.scenario, reason: message.reason } }
        : { status: 'failed', stage: 'promote', reason: message.reason };
  }
  // The release first: should writing it fail, the redelivery finds the run still open and writes both.
  const ended = { ...run, status: outcome.status, ...(outcome.status === 'failed' ? { failure: outcome } : {}) };
  const releaseUrl = await writeRelease((await store.getRun(run.runId)) ?? ended, deps, message);
  await store.finishRun(run.runId, outcome);
  const locks = new Set(Object.values(run.scenarios ?? {}).flatMap((c) => (c.lock ? [c.lock] : [])));
  for (const lock of locks) await store.releaseLock(lock, run.runId, RUN_HOLDER);
  await store.finishStage(run.runId, 'report', {
    status: 'succeeded',
    startedAt,
    details: releaseUrl ? { releaseUrl } : {},
  });
  log.info('run reported', { status: outcome.status, ...(releaseUrl ? { releaseUrl } : {}) });
}

/**
 * A person promoted a candidate of a run that had ended (`modelship promote`): the deployer recorded the outcome on
 * the run; its release notes, which still say what the run decided, now say what serves.
 */
async function operatorPromoted(message: PromotionFinished, deps: ReportDeps): Promise<void> {
  const run = await deps.store.getRun(message.runId);
  if (!run) {
    throw new MessageError(`PromotionFinished is for run ${message.runId}, which does not exist: refused`);
  }
  const releaseUrl = await writeRelease(run, deps);
  deps.log.info('release notes updated after a promotion by an operator', {
    runId: run.runId,
    outcome: message.outcome,
    ...(releaseUrl ? { releaseUrl } : {}),
  });
}

/** The run's section of the release notes: its candidates, the verdicts, the promotion or the failure. */
async function writeRelease(
  run: RunRecord,
  deps: ReportDeps,
  failure?: PromotionFinished | PipelineFailed,
): Promise<string | undefined> {
  if (!run.repository || !run.tag || !deps.notes) {
    deps.log.info('no release to write on', {
      runId: run.runId,
      reason: deps.notes ? 'run has no release (a redeploy)' : 'GITHUB_TOKEN not set',
    });
    return undefined;
  }
  const markdown = await runSection(run, failure?.type === 'PipelineFailed' ? failure : undefined);
  return (await deps.notes.upsert(run.repository, run.tag, run.runId, markdown)).url;
}
