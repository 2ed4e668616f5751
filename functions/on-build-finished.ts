import { readdirSync } from 'node:fs';
import type { CloudEventFunction } from '@google-cloud/functions-framework';
import { join } from 'node:path';
import { handleBuildFinished, type BuildFinishedDeps } from '../shared/bake/build-finished.js';
import { BuildSchema } from '../shared/bake/build-view.js';
import { loadConfig } from '../shared/config.js';
import { scenariosDir } from '../shared/deploy/scenario-loader.js';
import { ConfigError } from '../shared/errors.js';
import { clientOptions } from '../shared/gcp/client-options.js';
import { createCloudBuild } from '../shared/gcp/cloud-build.js';
import { baseDeps, firestoreStore, pubsubPublisher, started } from './deps.js';
import { eventFunction } from './event-function.js';

/** DEPLOY_SCENARIOS must name scenario files: a typo fails the deploy of the function, not a run after a bake. */
export function checkDeployScenarios(names: readonly string[], dir = scenariosDir()): void {
  const known = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length));
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) {
    throw new ConfigError([
      `DEPLOY_SCENARIOS names no scenario file for ${unknown.join(', ')}: expected names of ${join(dir, '*.yaml')} (${known.sort().join(', ')})`,
    ]);
  }
}

export async function onBuildFinishedDeps(env: NodeJS.ProcessEnv = process.env): Promise<BuildFinishedDeps> {
  const { CLOUD_BUILD_EMULATOR_HOST, ...config } = loadConfig(
    ['DEPLOY_SCENARIOS', 'K8S_NAMESPACE', 'CANDIDATE_VCPUS', 'CLOUD_BUILD_EMULATOR_HOST'],
    env,
  );
  checkDeployScenarios(config.DEPLOY_SCENARIOS);
  const { project, log, deadlines } = baseDeps('onBuildFinished', env);
  const { CloudBuildClient } = await import('@google-cloud/cloudbuild');
  const client = new CloudBuildClient(clientOptions(CLOUD_BUILD_EMULATOR_HOST));
  return {
    config,
    store: await firestoreStore(project),
    publish: pubsubPublisher(project),
    log,
    cloudBuild: createCloudBuild({ client, project, log }),
    deadlines,
  };
}

/** On `cloud-builds` (Cloud Build's own topic): a finished bake becomes DeployRequested, or PipelineFailed. */
export const createOnBuildFinished = (deps: () => BuildFinishedDeps) =>
  eventFunction('onBuildFinished', BuildSchema, deps, handleBuildFinished);

/** The deployed function: its deps built from the environment (functions/index.ts). */
export const start = (): Promise<CloudEventFunction<unknown>> => started(onBuildFinishedDeps(), createOnBuildFinished);
