import { CloudBuildClient } from '@google-cloud/cloudbuild';
import { BAKE_SETTINGS } from '../shared/bake/bake-params.js';
import { loadBakeTemplate } from '../shared/bake/build-request.js';
import { submitBake, type SubmitBakeDeps } from '../shared/bake/submit-bake.js';
import { loadConfig } from '../shared/config.js';
import { clientOptions } from '../shared/gcp/client-options.js';
import { createCloudBuild } from '../shared/gcp/cloud-build.js';
import { ModelReleased } from '../shared/messages.js';
import { commonDeps } from './deps.js';
import { eventFunction } from './event-function.js';

export function bakeModelDeps(env: NodeJS.ProcessEnv = process.env): SubmitBakeDeps {
  const { project, store, log, publish } = commonDeps('bakeModel', env);
  const { CLOUD_BUILD_EMULATOR_HOST, ...config } = loadConfig([...BAKE_SETTINGS, 'CLOUD_BUILD_EMULATOR_HOST'], env);
  const client = new CloudBuildClient(clientOptions(CLOUD_BUILD_EMULATOR_HOST));
  return {
    config,
    template: loadBakeTemplate(),
    cloudBuild: createCloudBuild({ client, project, log }),
    store,
    publish,
    log,
  };
}

/** On `model-released`: submits the bake build (cloudbuild/bake-model.yaml) and returns without waiting for it. */
export const createBakeModel = (deps: () => SubmitBakeDeps) =>
  eventFunction('bakeModel', ModelReleased, deps, submitBake);
