import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoadTest, type LoadTestDeps } from './engine.js';
import { findCapacity } from './find-capacity.js';
import { loadTestOptions, type LoadTestOptions } from './options.js';
import { exitCode, type Summary } from './summary.js';
import { ConfigError, ModelshipError } from '../shared/errors.js';
import { runLoadTestTask } from './run-task.js';
import type { Shard } from './shard-split.js';
import { PeerTaskFailed, taskPeers, taskReason, type TaskObjects } from './task-peers.js';

/**
 * Where a finished run's results go in the pipeline: the lead's adapter stores the summary with the run in
 * Firestore, copies the files in `outDir` to the bucket and publishes LoadTestFinished. Locally: nothing.
 */
export type ReportSink = (summary: Summary, files: { readonly outDir: string | undefined }) => Promise<void>;

export interface JobDeps extends LoadTestDeps {
  readonly reportSink?: ReportSink;
  /** Where the tasks of a test split across several exchange their objects (the run's place in the report store). */
  readonly taskObjects?: { readonly objects: TaskObjects; readonly prefix: string };
}

/** This task's share, from Cloud Run's variables: the whole plan outside Cloud Run or with one task. */
export function taskFromEnv(env: NodeJS.ProcessEnv): Shard {
  const index = Number(env.CLOUD_RUN_TASK_INDEX ?? 0);
  const count = Number(env.CLOUD_RUN_TASK_COUNT ?? 1);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count)
    throw new ConfigError([
      `CLOUD_RUN_TASK_INDEX=${env.CLOUD_RUN_TASK_INDEX} of CLOUD_RUN_TASK_COUNT=${env.CLOUD_RUN_TASK_COUNT}: expected 0 <= index < count`,
    ]);
  return { index, count };
}

/** Cloud Run tasks have no terminal: results go to a directory of the execution even when --out is not given. */
export const jobOutDir = (env: NodeJS.ProcessEnv): string =>
  join(tmpdir(), `loadtest-${env.CLOUD_RUN_EXECUTION ?? process.pid}`);

/**
 * The Cloud Run job's program and `modelship loadtest` alike: options from args, then MODELSHIP_* env (the
 * container overrides launchLoadTest sets), run, hand the summary to the sink, and return the exit code.
 */
export async function runLoadTestJob(
  values: Parameters<typeof loadTestOptions>[0],
  env: NodeJS.ProcessEnv,
  deps: JobDeps = {},
): Promise<number> {
  const parsed = loadTestOptions(values, env);
  const options: LoadTestOptions =
    parsed.out === undefined && env.CLOUD_RUN_JOB ? { ...parsed, out: jobOutDir(env) } : parsed;
  const task = taskFromEnv(env);
  if (task.count > 1) return runTask(options, task, deps);
  const summary = await (options.capacity ? findCapacity : runLoadTest)(options, deps);
  await deps.reportSink?.(summary, { outDir: options.out });
  return exitCode(summary);
}

/**
 * One of several tasks: its share of the plan; the lead sinks the merged summary. A failure of its own is written
 * to failed.json for the lead, and thrown with the task named (the caller reports it: PipelineFailed); a failure
 * of another task's (PeerTaskFailed) is that task's to report.
 */
async function runTask(options: LoadTestOptions, task: Shard, deps: JobDeps): Promise<number> {
  const { taskObjects } = deps;
  if (!taskObjects)
    throw new ConfigError([
      `task ${task.index} of ${task.count}: a load test split across tasks runs in the pipeline only (MODELSHIP_RUN_ID and REPORT_BUCKET set), where the tasks meet in the report store`,
    ]);
  if (options.capacity)
    throw new ConfigError([
      `task ${task.index} of ${task.count}: a capacity search runs as one task (each probe is decided from the last), found CLOUD_RUN_TASK_COUNT=${task.count}`,
    ]);
  const peers = taskPeers({ ...taskObjects, task });
  try {
    const summary = await runLoadTestTask(options, peers, deps);
    if (!summary) return 0;
    await deps.reportSink?.(summary, { outDir: options.out });
    return exitCode(summary);
  } catch (err) {
    if (err instanceof PeerTaskFailed) throw err;
    const reason = taskReason(task, err);
    await peers.putFailed(reason);
    throw new ModelshipError(reason, { cause: err });
  }
}
