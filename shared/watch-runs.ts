import type { Deadlines } from './deadline.js';
import { errorMessage } from './errors.js';
import type { ExecutionReader } from './gcp/cloud-run.js';
import type { Publish } from './gcp/publisher.js';
import type { Logger } from './log.js';
import type { WatchRuns } from './messages.js';
import { reportFailure } from './run-failure.js';
import type { RunRecord, Store } from './store.js';

export interface WatchDeps {
  store: Store;
  publish: Publish;
  log: Logger;
  executions: ExecutionReader;
  deadlines: Deadlines;
  now: () => Date;
}

/**
 * How long a load-test job that ended may take to get its own report through (LoadTestFinished or PipelineFailed,
 * published as it exits) before the watcher speaks for it.
 */
export const JOB_REPORT_S = 60;

/**
 * `watch-runs` (Cloud Scheduler, every minute) → every run that can no longer end by itself is ended. Whatever died
 * (a function instance, the load-test job, the cluster, a message dead-lettered), a run has a deadline for what it
 * waits for next; once it has passed, the run's failure goes to reportResults (PipelineFailed), and if that report
 * does not come by its own deadline, the failure is recorded here. A load-test job that ended without reporting
 * (killed, out of memory, timed out) is found sooner, from its execution. Each run is handled on its own: one that
 * cannot be read is left for the next tick, not a reason to skip the others.
 */
export async function watchRuns(_tick: WatchRuns, deps: WatchDeps): Promise<void> {
  const runs = await deps.store.runningRuns();
  const results = await Promise.allSettled(runs.map((run) => watchRun(run, deps)));
  results.forEach((r, i) => {
    if (r.status === 'rejected') {
      deps.log.error('run not watched; next tick', { runId: runs[i]?.runId, error: errorMessage(r.reason) });
    }
  });
  deps.log.debug('runs watched', { running: runs.length });
}

async function watchRun(run: RunRecord, deps: WatchDeps): Promise<void> {
  const log = deps.log.child({ runId: run.runId });
  const now = deps.now();
  const deadline = run.deadline;
  if (deadline && Date.parse(deadline.at) < now.getTime()) {
    if (deadline.failure) {
      // The failure was sent to reportResults, which has not recorded it: record it here.
      const { scenario, ...failure } = deadline.failure;
      const outcome = { status: 'failed' as const, ...failure };
      if (scenario && run.scenarios?.[scenario]) await deps.store.endScenario(run.runId, scenario, outcome);
      await deps.store.finishRun(run.runId, outcome);
      log.error('run failed by the watcher: its failure was never reported', { reason: failure.reason });
      return;
    }
    const reason = `${deadline.what} did not happen by ${deadline.at} (the ${deadline.stage} stage's deadline)`;
    const reported = await reportFailure(
      {
        runId: run.runId,
        stage: deadline.stage,
        reason,
        ...(deadline.scenario ? { scenario: deadline.scenario } : {}),
        // What was read may be stale: the step it waited for may have moved the deadline on since.
        ifDeadlineAt: deadline.at,
      },
      deps,
    );
    if (reported) log.error('run past its deadline', { stage: deadline.stage, reason });
    else log.info('deadline moved on before it was enforced', { stage: deadline.stage, at: deadline.at });
    return;
  }
  for (const [scenario, s] of Object.entries(run.scenarios ?? {})) {
    if (s.status !== 'running' || !s.execution || deadline?.failure?.scenario === scenario) continue;
    const execution = await deps.executions.get(s.execution).catch((err: unknown) => {
      log.error('execution not read; next tick', { scenario, execution: s.execution, error: errorMessage(err) });
      return undefined;
    });
    if (!execution?.done) continue;
    const quietS = (now.getTime() - execution.completedAt.getTime()) / 1000;
    // The job reports as it exits, failures too: give that message time to arrive before speaking for the job.
    if (quietS < Math.min(JOB_REPORT_S, deps.deadlines.graceS)) continue;
    const reason = execution.succeeded
      ? `the load-test job's execution ${s.execution} completed ${Math.round(quietS)} s ago without reporting a result`
      : `the load-test job's execution ${s.execution} failed: ${execution.message}`;
    log.error('load test ended without a report', { scenario, reason });
    await reportFailure({ runId: run.runId, stage: 'load-test', scenario, reason }, deps);
  }
}
