import type { JobsClient } from '@google-cloud/run';
import { TransientError } from '../errors.js';

export interface JobRun {
  args: string[];
  env: Record<string, string>;
  /** Seconds; the execution is stopped after it. */
  timeoutS: number;
}

export interface JobRunner {
  /** Starts an execution of the job with these overrides; returns its name without waiting for it to finish. */
  run(run: JobRun): Promise<{ execution: string }>;
}

/**
 * Cloud Run job executions through the real JobsClient. The overrides replace the container's args (clearArgs, so an
 * empty list means none) and add env; running with overrides needs `run.jobs.runWithOverrides` on the job.
 */
export function createJobRunner(client: JobsClient, jobName: string): JobRunner {
  return {
    async run({ args, env, timeoutS }) {
      try {
        const [operation] = await client.runJob({
          name: jobName,
          overrides: {
            containerOverrides: [
              {
                args,
                clearArgs: args.length === 0,
                env: Object.entries(env).map(([name, value]) => ({ name, value })),
              },
            ],
            taskCount: 1,
            timeout: { seconds: timeoutS },
          },
        });
        const execution = (operation.metadata as { name?: string } | null)?.name;
        if (!execution) throw new Error('the RunJob operation carries no execution');
        return { execution };
      } catch (err) {
        throw new TransientError(`Cloud Run: running job ${jobName} failed`, {
          cause: err,
          hint: 'check that the job exists (modelship gcp apply) and that this service account has run.jobs.runWithOverrides on it',
        });
      }
    },
  };
}
