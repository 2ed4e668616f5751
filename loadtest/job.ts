import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoadTest, type LoadTestDeps } from './engine.js';
import { findCapacity } from './find-capacity.js';
import { loadTestOptions, type LoadTestOptions } from './options.js';
import { exitCode, type Summary } from './summary.js';

/**
 * Where a finished run's results go in the pipeline: the lead's adapter stores the summary with the run in
 * Firestore, copies the files in `outDir` to the bucket and publishes LoadTestFinished. Locally: nothing.
 */
export type ReportSink = (summary: Summary, files: { readonly outDir: string | undefined }) => Promise<void>;

export interface JobDeps extends LoadTestDeps {
  readonly reportSink?: ReportSink;
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
  const summary = await (options.capacity ? findCapacity : runLoadTest)(options, deps);
  await deps.reportSink?.(summary, { outDir: options.out });
  return exitCode(summary);
}
