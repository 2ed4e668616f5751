import { startCandidates, type CandidateDeps } from '../candidates.js';
import type { Config } from '../config.js';
import type { Deadlines } from '../deadline.js';
import { MessageError } from '../errors.js';
import type { CloudBuild } from '../gcp/cloud-build.js';
import type { Publish } from '../gcp/publisher.js';
import { runOnce } from '../idempotency.js';
import type { Logger } from '../log.js';
import { runningRun } from '../run-guard.js';
import { reportFailure } from '../run-failure.js';
import type { Store } from '../store.js';
import { FUNCTIONS } from '../wiring.js';
import { failureReason, imageOf, isFinal, isModelshipBuild, runIdOf, type BuildView } from './build-view.js';

export interface BuildFinishedDeps {
  config: Config<'DEPLOY_SCENARIOS' | 'K8S_NAMESPACE' | 'CANDIDATE_VCPUS'>;
  scenario?: CandidateDeps['scenario'];
  store: Store;
  publish: Publish;
  log: Logger;
  /** Where the notified build is read back from: what a notification says is not trusted. */
  cloudBuild: Pick<CloudBuild, 'get'>;
  deadlines: Deadlines;
}

const claim = { staleMs: FUNCTIONS.onBuildFinished.timeoutS * 1000 };

/**
 * `cloud-builds` → the next stage. Cloud Build notifies every state of every build of the project: only the final
 * states of builds tagged `modelship` count. Anyone who may publish to the topic can forge a notification, so the
 * build is read back from Cloud Build and only its record counts (status, tags, image). SUCCESS starts the run's
 * candidates (shared/candidates.ts: each configured scenario with the image by digest, beside the serving one); any
 * failure fails the run with the reason and the build log, and publishes PipelineFailed. Every effect is claimed by
 * build id (and candidate), so a duplicate notification deploys nothing twice.
 */
export async function handleBuildFinished(notified: BuildView, deps: BuildFinishedDeps): Promise<void> {
  if (!isModelshipBuild(notified) || !isFinal(notified.status)) {
    deps.log.debug('build notification ignored', {
      buildId: notified.id,
      status: notified.status,
      tags: notified.tags,
    });
    return;
  }
  const build = await deps.cloudBuild.get(notified.id);
  if (!build) throw new MessageError(`build ${notified.id} is not known to Cloud Build: notification refused`);
  if (!isModelshipBuild(build) || !isFinal(build.status)) {
    throw new MessageError(
      `build ${build.id} is ${build.status}${isModelshipBuild(build) ? '' : ' and not a modelship build'} according to Cloud Build, not ${notified.status} as notified: notification refused`,
    );
  }
  const runId = runIdOf(build);
  if (!runId) throw new MessageError(`build ${build.id} is tagged modelship but carries no run-<runId> tag`);
  const log = deps.log.child({ runId });
  const { store } = deps;
  if (!(await runningRun(store, runId, `the notification of build ${build.id}`, log))) return;
  const image = build.status === 'SUCCESS' ? imageOf(build) : undefined;
  const logUrl = build.logUrl;

  if (image) {
    const scenarios = deps.config.DEPLOY_SCENARIOS;
    const outcome = await runOnce(store, `build/${build.id}`, claim, async () => {
      await store.finishStage(runId, 'bake', { status: 'succeeded', details: { buildId: build.id, image, logUrl } });
      // Claimed per candidate inside: an attempt that takes over from a dead one asks only for what was not asked.
      await startCandidates({ runId, image, scenarios }, deps);
      return { image };
    });
    log.info(outcome.duplicate ? 'duplicate build notification ignored' : 'candidates requested', {
      buildId: build.id,
      scenarios: scenarios.join(','),
      image,
    });
    return;
  }

  const reason =
    build.status === 'SUCCESS'
      ? `build ${build.id} succeeded but recorded no image by digest in results.buildStepOutputs (${JSON.stringify(build.stepOutputs)})`
      : failureReason(build);
  const outcome = await runOnce(store, `build/${build.id}`, claim, async () => {
    const details = { buildId: build.id, logUrl };
    await reportFailure({ runId, stage: 'bake', reason, details, ...(logUrl ? { detailsUrl: logUrl } : {}) }, deps);
    return {};
  });
  if (outcome.duplicate) log.info('duplicate build notification ignored', { buildId: build.id, status: build.status });
  else log.warn('bake failed', { buildId: build.id, status: build.status, reason, logUrl });
}
