import { JobsClient } from '@google-cloud/run';
import { loadConfig } from '../shared/config.js';
import { clientOptions } from '../shared/gcp/client-options.js';
import { createJobRunner } from '../shared/gcp/cloud-run.js';
import { launchLoadTest, type LaunchDeps } from '../shared/launch-load-test.js';
import { LoadTestRequested } from '../shared/messages.js';
import { commonDeps } from './deps.js';
import { eventFunction } from './event-function.js';

export function launchLoadTestDeps(env: NodeJS.ProcessEnv = process.env): LaunchDeps {
  const { LOAD_TEST_JOB, CLOUD_RUN_EMULATOR_HOST } = loadConfig(['LOAD_TEST_JOB', 'CLOUD_RUN_EMULATOR_HOST'], env);
  const { store, log } = commonDeps('launchLoadTest', env);
  return { store, log, jobs: createJobRunner(new JobsClient(clientOptions(CLOUD_RUN_EMULATOR_HOST)), LOAD_TEST_JOB) };
}

/** On `load-test-requested`: one Cloud Run job execution per run and scenario. */
export const createLaunchLoadTest = (deps: () => LaunchDeps) =>
  eventFunction('launchLoadTest', LoadTestRequested, deps, launchLoadTest);
