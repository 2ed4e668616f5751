import { loadScenario } from '../shared/deploy/index.js';
import { ModelshipError } from '../shared/errors.js';
import type { Publish } from '../shared/gcp/publisher.js';
import { imageByDigest, type DeployRequested, type LoadProfile } from '../shared/messages.js';
import { newRunId } from '../shared/run-id.js';
import type { Store } from '../shared/store.js';
import { DEFAULT_DEADLINES } from '../shared/deadline.js';
import { FUNCTIONS } from '../shared/wiring.js';

export interface RedeployRequest {
  /** The candidates of the run: one scenario (a redeploy), or several (a sweep). */
  scenarios: readonly string[];
  /** By digest; absent: the image of the last good deployment. */
  image?: string;
  namespace: string;
  /** The load test after the rollout; absent: the deployer's configured one. */
  profile?: LoadProfile;
}

/**
 * `modelship redeploy` and `sweep`: checks the scenarios and the image before anything is sent (an unknown scenario
 * or an image that is not by digest never reaches the cluster), opens a run, and publishes DeployRequested; the
 * deployer plans the run's candidates from it as for a release (beside the serving one, then the gate and the
 * promotion by PROMOTION).
 */
export async function redeploy(
  request: RedeployRequest,
  deps: { store: Store; publish: Publish; now?: () => Date },
): Promise<DeployRequested> {
  const [first, ...more] = request.scenarios;
  if (!first) throw new ModelshipError('no scenario to deploy', { hint: 'name one: modelship scenarios lists them' });
  for (const name of request.scenarios) await loadScenario(name);
  let image = request.image;
  if (image === undefined) {
    image = (await deps.store.lastGoodDeployment(request.namespace))?.image;
    if (!image) {
      throw new ModelshipError(
        `no deployment has succeeded in namespace ${request.namespace} yet, so there is no image to redeploy`,
        {
          hint: 'pass --image REGISTRY/PATH@sha256:DIGEST',
        },
      );
    }
  }
  const parsed = imageByDigest.safeParse(image);
  if (!parsed.success) {
    throw new ModelshipError(`image '${image}' is not an image by digest`, {
      hint: 'deploy images by digest, e.g. europe-docker.pkg.dev/P/models/resnet@sha256:<64 hex digits> (gcloud artifacts docker images list shows them)',
    });
  }
  const runId = newRunId((deps.now ?? (() => new Date()))());
  const message: DeployRequested = {
    type: 'DeployRequested',
    version: 1,
    runId,
    scenario: first,
    image,
    requestedBy: 'redeploy',
    ...(more.length ? { candidates: [...request.scenarios] } : {}),
    ...(request.profile ? { profile: request.profile } : {}),
  };
  await deps.store.createRun({
    runId,
    deadline: DEFAULT_DEADLINES.after(
      FUNCTIONS.deployScenario.timeoutS,
      'deploy',
      'deployScenario to start the rollout',
    ),
  });
  await deps.publish(message);
  return message;
}
