import { errorMessage, MessageError } from '../errors.js';
import { assetUrlProblem } from '../github/asset-url.js';
import { BuildRejectedError, type CloudBuild } from '../gcp/cloud-build.js';
import type { Publish } from '../gcp/publisher.js';
import { runOnce } from '../idempotency.js';
import type { Logger } from '../log.js';
import type { ModelReleased } from '../messages.js';
import { runningRun } from '../run-guard.js';
import { reportFailure } from '../run-failure.js';
import type { Store } from '../store.js';
import { FUNCTIONS } from '../wiring.js';
import type { Deadlines } from '../deadline.js';
import { bakeSubstitutions, type BakeConfig } from './bake-params.js';
import { bakeBuild, runTag, type BakeTemplate } from './build-request.js';

export interface SubmitBakeDeps {
  config: BakeConfig;
  template: BakeTemplate;
  cloudBuild: CloudBuild;
  store: Store;
  publish: Publish;
  log: Logger;
  deadlines: Deadlines;
}

/**
 * `model-released` → one bake build per run, submitted without waiting for it (onBuildFinished takes over from its
 * notification). The run's bake is claimed first (`bake/{runId}`), so a redelivered ModelReleased submits nothing new.
 * An attempt that died after Cloud Build accepted its build is retried by the redelivery, which finds that build by
 * its run tag and adopts it rather than baking twice. A build Cloud Build refuses fails the run at once. A message
 * whose asset URL is not a release asset of its repository is refused before anything is claimed or submitted.
 */
export async function submitBake(m: ModelReleased, deps: SubmitBakeDeps): Promise<void> {
  const apiUrl = deps.config.GITHUB_API_URL;
  const forged = assetUrlProblem(m.asset.url, { apiUrl, repository: m.repository, id: m.asset.id });
  if (forged) {
    throw new MessageError(`ModelReleased refused, nothing baked: its asset URL ${forged}`, {
      hint: `modelship downloads only ${apiUrl}/repos/OWNER/NAME/releases/assets/ID of the releasing repository, as the webhook checks`,
    });
  }
  const log = deps.log.child({ runId: m.runId });
  const substitutions = bakeSubstitutions(m, deps.config);
  const image = `${substitutions._TARGET_IMAGE}:${substitutions._TAG}`;
  if (!(await runningRun(deps.store, m.runId, 'ModelReleased', log))) return;
  const claim = { staleMs: FUNCTIONS.bakeModel.timeoutS * 1000 };
  const outcome = await runOnce(deps.store, `bake/${m.runId}`, claim, async () => {
    const [earlier] = await deps.cloudBuild.findByTag(runTag(m.runId));
    let build = earlier;
    if (!build) {
      try {
        build = await deps.cloudBuild.submit(
          bakeBuild(deps.template, { runId: m.runId, substitutions, config: deps.config }),
        );
      } catch (err) {
        if (!(err instanceof BuildRejectedError)) throw err;
        const reason = `the bake build was refused: ${errorMessage(err)}`;
        await reportFailure({ runId: m.runId, stage: 'bake', reason }, deps);
        log.error('bake refused by Cloud Build', { error: errorMessage(err) });
        return { refused: true };
      }
    }
    const details = { buildId: build.id, logUrl: build.logUrl, image, asset: m.asset.name };
    const timeoutS = deps.config.BUILD_TIMEOUT;
    await deps.store.startStage(
      m.runId,
      'bake',
      details,
      deps.deadlines.after(timeoutS, 'bake', `build ${build.id} to finish (its timeout is ${timeoutS} s)`),
    );
    log.info(earlier ? 'bake build adopted from an earlier attempt' : 'bake build submitted', details);
    return { buildId: build.id };
  });
  if (outcome.duplicate) log.info('duplicate ModelReleased ignored', { buildId: outcome.record.buildId });
}
