import type { CloudEventFunction } from '@google-cloud/functions-framework';
import { loadConfig } from '../shared/config.js';
import { clientOptions } from '../shared/gcp/client-options.js';
import { createExecutionReader } from '../shared/gcp/cloud-run.js';
import { WatchRuns } from '../shared/messages.js';
import { watchRuns, type WatchDeps } from '../shared/watch-runs.js';
import { baseDeps, firestoreStore, pubsubPublisher, started } from './deps.js';
import { eventFunction } from './event-function.js';

export async function watchRunsDeps(env: NodeJS.ProcessEnv = process.env): Promise<WatchDeps> {
  const { CLOUD_RUN_EMULATOR_HOST } = loadConfig(['CLOUD_RUN_EMULATOR_HOST'], env);
  const { project, log, now, deadlines } = baseDeps('watchRuns', env);
  const { ExecutionsClient } = await import('@google-cloud/run');
  return {
    store: await firestoreStore(project),
    publish: pubsubPublisher(project),
    log,
    now,
    deadlines,
    executions: createExecutionReader(new ExecutionsClient(clientOptions(CLOUD_RUN_EMULATOR_HOST))),
  };
}

/** On `watch-runs` (Cloud Scheduler, every minute): runs past their deadline, and dead load-test jobs, are ended. */
export const createWatchRuns = (deps: () => WatchDeps) => eventFunction('watchRuns', WatchRuns, deps, watchRuns);

/** The deployed function: its deps built from the environment (functions/index.ts). */
export const start = (): Promise<CloudEventFunction<unknown>> => started(watchRunsDeps(), createWatchRuns);
