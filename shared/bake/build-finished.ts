import type { Config } from '../config.js';
import { MessageError } from '../errors.js';
import type { Publish } from '../gcp/publisher.js';
import { runOnce } from '../idempotency.js';
import type { Logger } from '../log.js';
import type { Store } from '../store.js';
import { failureReason, imageOf, isFinal, isModelshipBuild, runIdOf, type BuildView } from './build-view.js';

export interface BuildFinishedDeps {
  config: Config<'DEPLOY_SCENARIOS'>;
  store: Store;
  publish: Publish;
  log: Logger;
}

/**
 * `cloud-builds` → the next stage. Cloud Build notifies every state of every build of the project: only the final
 * states of builds tagged `modelship` count. SUCCESS publishes DeployRequested for each configured scenario with the
 * image by digest; any failure fails the run with the reason and the build log, and publishes PipelineFailed. Every
 * effect is claimed by build id (and scenario), so a duplicate notification deploys nothing twice.
 */
export async function handleBuildFinished(build: BuildView, deps: BuildFinishedDeps): Promise<void> {
  if (!isModelshipBuild(build) || !isFinal(build.status)) {
    deps.log.debug('build notification ignored', { buildId: build.id, status: build.status, tags: build.tags });
    return;
  }
  const runId = runIdOf(build);
  if (!runId) throw new MessageError(`build ${build.id} is tagged modelship but carries no run-<runId> tag`);
  const log = deps.log.child({ runId });
  const { store, publish } = deps;
  const image = build.status === 'SUCCESS' ? imageOf(build) : undefined;
  const logUrl = build.logUrl;

  if (image) {
    await runOnce(store, `build/${build.id}`, {}, async () => {
      await store.finishStage(runId, 'bake', { status: 'succeeded', details: { buildId: build.id, image, logUrl } });
      return { image };
    });
    for (const scenario of deps.config.DEPLOY_SCENARIOS) {
      const outcome = await runOnce(store, `build/${build.id}/${scenario}`, {}, async () => {
        await publish({ type: 'DeployRequested', version: 1, runId, scenario, image, requestedBy: 'pipeline' });
        return {};
      });
      log.info(outcome.duplicate ? 'deploy already requested' : 'deploy requested', {
        buildId: build.id,
        scenario,
        image,
      });
    }
    return;
  }

  const reason =
    build.status === 'SUCCESS'
      ? `build ${build.id} succeeded but recorded no image by digest in results.buildStepOutputs (${JSON.stringify(build.stepOutputs)})`
      : failureReason(build);
  const outcome = await runOnce(store, `build/${build.id}`, {}, async () => {
    await store.finishStage(runId, 'bake', { status: 'failed', reason, details: { buildId: build.id, logUrl } });
    await store.finishRun(runId, {
      status: 'failed',
      stage: 'bake',
      reason,
      ...(logUrl ? { detailsUrl: logUrl } : {}),
    });
    await publish({
      type: 'PipelineFailed',
      version: 1,
      runId,
      stage: 'bake',
      reason,
      ...(logUrl ? { detailsUrl: logUrl } : {}),
    });
    return {};
  });
  if (outcome.duplicate) log.info('duplicate build notification ignored', { buildId: build.id, status: build.status });
  else log.warn('bake failed', { buildId: build.id, status: build.status, reason, logUrl });
}
