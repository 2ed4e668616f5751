import { MessageError } from './errors.js';
import type { Logger } from './log.js';
import type { RunRecord, Store } from './store.js';

/**
 * The run a message is about, if it is still running. A message for a run that does not exist is refused (a
 * MessageError: logged and acknowledged), since only the pipeline opens runs; one for a run that has finished is
 * late (a redelivery, or a stage that outlived the run's deadline) and is ignored, so it never reopens the run.
 */
export async function runningRun(
  store: Store,
  runId: string,
  what: string,
  log: Logger,
): Promise<RunRecord | undefined> {
  const run = await store.getRun(runId);
  if (!run) {
    throw new MessageError(
      `${what} is for run ${runId}, which does not exist: refused (only the webhook and modelship redeploy open runs)`,
    );
  }
  if (run.status !== 'running') {
    log.warn('message for a finished run ignored', { runId, what, status: run.status });
    return undefined;
  }
  return run;
}
