import type { CloudEventFunction } from '@google-cloud/functions-framework';
import { loadConfig } from '../shared/config.js';
import { clientOptions } from '../shared/gcp/client-options.js';
import { createJobRunner } from '../shared/gcp/cloud-run.js';
import { launchLoadTest, type LaunchDeps } from '../shared/launch-load-test.js';
import { LoadTestRequested } from '../shared/messages.js';
import { baseDeps, firestoreStore, started } from './deps.js';
import { eventFunction } from './event-function.js';

export async function launchLoadTestDeps(env: NodeJS.ProcessEnv = process.env): Promise<LaunchDeps> {
  const { LOAD_TEST_JOB, CLOUD_RUN_EMULATOR_HOST } = loadConfig(['LOAD_TEST_JOB', 'CLOUD_RUN_EMULATOR_HOST'], env);
  const { project, log, deadlines } = baseDeps('launchLoadTest', env);
  const { JobsClient } = await import('@google-cloud/run');
  const jobs = createJobRunner(new JobsClient(clientOptions(CLOUD_RUN_EMULATOR_HOST)), LOAD_TEST_JOB);
  return { store: await firestoreStore(project), log, jobs, deadlines };
}

/** On `load-test-requested`: one Cloud Run job execution per run and scenario. */
export const createLaunchLoadTest = (deps: () => LaunchDeps) =>
  eventFunction('launchLoadTest', LoadTestRequested, deps, launchLoadTest);

/** The deployed function: its deps built from the environment (functions/index.ts). */
export const start = (): Promise<CloudEventFunction<unknown>> => started(launchLoadTestDeps(), createLaunchLoadTest);
