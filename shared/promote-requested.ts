import { armKey } from './arm.js';
import {
  deployOptions,
  lockNamespace,
  rolloutSeconds,
  tearDown,
  type DeployRequestedDeps,
} from './deploy-requested.js';
import { deployScenario, loadScenario, type Manifest } from './deploy/index.js';
import { MessageError } from './errors.js';
import { runOnce } from './idempotency.js';
import type { PromoteRequested } from './messages.js';
import { reportFailure } from './run-failure.js';
import { RUN_HOLDER, type RunRecord } from './store.js';
import { FUNCTIONS } from './wiring.js';

/** The candidate a promotion names, checked against what the run measured: nothing else is ever served. */
function promotedCandidate(m: PromoteRequested, run: RunRecord) {
  if (m.scenario === null) return undefined;
  const candidate = run.scenarios?.[armKey(m.scenario)];
  if (!candidate?.image || candidate.status !== 'succeeded' || !candidate.figures) {
    throw new MessageError(
      `run ${m.runId} has no measured candidate ${m.scenario} (${candidate ? candidate.status : 'not a candidate of the run'}): refused, only a measured candidate is promoted (modelship runs show ${m.runId})`,
    );
  }
  if (m.image && m.image !== candidate.image) {
    throw new MessageError(`image ${m.image} is not candidate ${m.scenario}'s (${candidate.image}): refused`);
  }
  return { scenario: m.scenario, image: candidate.image };
}

/**
 * `promote-requested` → the run's candidates torn down (unless CANDIDATE_RETENTION=keep), and the chosen one, if
 * any, rolled out as the serving deployment by digest → `promotion-finished`, or `pipeline-failed` after the
 * rollback. This is the one place where the serving deployment changes, and deployScenario the one place where a
 * failed rollout of it is rolled back (to the last good deployment). A person's promotion (`modelship promote`)
 * acts on a run that has ended, and records its outcome on the run itself.
 */
export async function handlePromoteRequested(m: PromoteRequested, deps: DeployRequestedDeps): Promise<void> {
  const { store, config, deadlines } = deps;
  const log = deps.log.child({ runId: m.runId, ...(m.scenario ? { scenario: m.scenario } : {}) });
  const run = await store.getRun(m.runId);
  if (!run) throw new MessageError(`PromoteRequested is for run ${m.runId}, which does not exist: refused`);
  const byOperator = m.requestedBy === 'operator';
  if (byOperator === (run.status === 'running')) {
    if (!byOperator) return log.warn('promotion for a finished run ignored', { status: run.status });
    throw new MessageError(`run ${m.runId} is still measuring its candidates: promote it once it has ended`);
  }
  const chosen = promotedCandidate(m, run);
  const attempt = m.rollout?.attempt ?? 1;
  const rolloutS = rolloutSeconds(config);
  const claim = { staleMs: Math.min(FUNCTIONS.deployScenario.timeoutS, config.DEPLOY_BUDGET_S + 60) * 1000 };
  const key = `promote/${m.runId}/${m.requestedBy}/${m.scenario ?? 'none'}/${attempt}`;
  const outcome = await runOnce(store, key, claim, async () => {
    const kube = await deps.kube();
    if (attempt === 1 && !byOperator) {
      if (config.CANDIDATE_RETENTION === 'teardown') await tearDown(run.scenarios ?? {}, config, kube);
      else log.info('candidates kept (CANDIDATE_RETENTION=keep)');
    }
    if (!chosen) {
      await deps.publish({ ...finished(m), outcome: 'none' });
      return { outcome: 'none' };
    }
    const lock = await lockNamespace(m, rolloutS, deps, 'promote');
    const what = `the promotion of ${chosen.scenario} to serve`;
    if (attempt === 1) {
      await store.startStage(m.runId, 'promote', chosen, deadlines.after(rolloutS, 'promote', what, chosen.scenario));
    }
    const last = await store.lastGoodDeployment(config.K8S_NAMESPACE);
    const lastGood = last && {
      scenario: last.scenario,
      image: last.image,
      manifests: JSON.parse(last.manifestsJson) as Manifest[],
    };
    const result = await deployScenario(
      {
        scenario: await (deps.scenario ?? loadScenario)(chosen.scenario),
        image: chosen.image,
        runId: m.runId,
        role: 'serving',
        final: attempt > config.DEPLOY_MAX_FOLLOW_UPS,
        ...(m.rollout ? { startedAt: m.rollout.startedAt } : {}),
      },
      { kube, clock: deps.clock, log, ...(lastGood ? { lastGood } : {}), options: deployOptions(config) },
    );
    if (result.outcome === 'in-progress') {
      await deps.publish({ ...m, rollout: { startedAt: result.startedAt, attempt: attempt + 1 } });
      return { outcome: result.outcome };
    }
    const at = new Date(deps.clock.now()).toISOString();
    if (result.outcome === 'succeeded') {
      await store.recordGoodDeployment(config.K8S_NAMESPACE, {
        ...chosen,
        runId: m.runId,
        manifestsJson: JSON.stringify(result.manifests),
        at,
      });
    }
    const promoted = result.outcome === 'succeeded';
    const reason = promoted ? m.reason : (result.reason ?? result.outcome);
    if (byOperator) {
      // The run has ended: its record takes the outcome, and the namespace is free again.
      await store.recordPromotion(m.runId, {
        status: promoted ? 'promoted' : 'failed',
        ...chosen,
        reason,
        requestedBy: 'operator',
        at,
      });
      await store.releaseLock(lock, m.runId, RUN_HOLDER);
      // For the release notes, which still say what the run decided.
      await deps.publish({ ...finished(m), ...chosen, outcome: promoted ? 'promoted' : 'failed', reason });
    } else if (promoted) {
      await deps.publish({ ...finished(m), ...chosen, outcome: 'promoted' });
    } else {
      await reportFailure(
        { runId: m.runId, stage: 'promote', reason: `promotion of ${chosen.scenario}: ${reason}` },
        deps,
      );
    }
    return { outcome: result.outcome };
  });
  if (outcome.duplicate) log.info('duplicate promotion request ignored', { attempt });
  else log.info('promotion handled', { outcome: outcome.result.outcome });
}

const finished = (m: PromoteRequested) => ({
  type: 'PromotionFinished' as const,
  version: 1 as const,
  runId: m.runId,
  scenario: m.scenario,
  requestedBy: m.requestedBy,
  reason: m.reason,
});
