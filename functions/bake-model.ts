import type { CloudEventFunction } from '@google-cloud/functions-framework';
import { BAKE_SETTINGS } from '../shared/bake/bake-params.js';
import { loadBakeTemplate } from '../shared/bake/build-request.js';
import { submitBake, type SubmitBakeDeps } from '../shared/bake/submit-bake.js';
import { loadConfig } from '../shared/config.js';
import { clientOptions } from '../shared/gcp/client-options.js';
import { createCloudBuild } from '../shared/gcp/cloud-build.js';
import { ModelReleased } from '../shared/messages.js';
import { baseDeps, firestoreStore, pubsubPublisher, started } from './deps.js';
import { eventFunction } from './event-function.js';

export async function bakeModelDeps(env: NodeJS.ProcessEnv = process.env): Promise<SubmitBakeDeps> {
  const { project, log, deadlines } = baseDeps('bakeModel', env);
  const { CLOUD_BUILD_EMULATOR_HOST, ...config } = loadConfig([...BAKE_SETTINGS, 'CLOUD_BUILD_EMULATOR_HOST'], env);
  const template = loadBakeTemplate();
  const { CloudBuildClient } = await import('@google-cloud/cloudbuild');
  const client = new CloudBuildClient(clientOptions(CLOUD_BUILD_EMULATOR_HOST));
  return {
    config,
    template,
    cloudBuild: createCloudBuild({ client, project, log }),
    store: await firestoreStore(project),
    publish: pubsubPublisher(project),
    log,
    deadlines,
  };
}

/** On `model-released`: submits the bake build (cloudbuild/bake-model.yaml) and returns without waiting for it. */
export const createBakeModel = (deps: () => SubmitBakeDeps) =>
  eventFunction('bakeModel', ModelReleased, deps, submitBake);

/** The deployed function: its deps built from the environment (functions/index.ts). */
export const start = (): Promise<CloudEventFunction<unknown>> => started(bakeModelDeps(), createBakeModel);
