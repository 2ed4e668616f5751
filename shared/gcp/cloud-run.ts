import type { ExecutionsClient, JobsClient } from '@google-cloud/run';
import { TransientError } from '../errors.js';

export interface JobRun {
  args: string[];
  env: Record<string, string>;
  /** Tasks of the execution, every one with the same args and env (each reads CLOUD_RUN_TASK_INDEX and _COUNT). */
  taskCount: number;
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
    async run({ args, env, taskCount, timeoutS }) {
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
            // Run all at once: the job leaves parallelism unset (operator/gcp/plan-load-test.ts), Cloud Run's maximum.
            taskCount,
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

/** An execution as the watcher needs it: still running, or ended, how, and when. */
export type ExecutionState = { done: false } | { done: true; succeeded: boolean; message: string; completedAt: Date };

export interface ExecutionReader {
  /** undefined when Cloud Run does not know the execution (deleted, or never created). */
  get(name: string): Promise<ExecutionState | undefined>;
}

const NOT_FOUND = 5;
// Seconds arrive as a string, a number or a Long, whose decimal string all three give.
type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;
const toDate = (t: Timestamp) => new Date(Number(String(t?.seconds ?? 0)) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6));

/** Executions through the real ExecutionsClient: an execution has ended when it has a completion time. */
export function createExecutionReader(client: Pick<ExecutionsClient, 'getExecution'>): ExecutionReader {
  return {
    async get(name) {
      try {
        const [execution] = await client.getExecution({ name });
        if (!execution.completionTime) return { done: false };
        const completed = execution.conditions?.find((c) => c.type === 'Completed');
        const succeeded =
          completed?.state === 'CONDITION_SUCCEEDED' && !execution.failedCount && !execution.cancelledCount;
        return {
          done: true,
          succeeded,
          message: completed?.message ?? (succeeded ? 'completed' : 'failed'),
          completedAt: toDate(execution.completionTime),
        };
      } catch (err) {
        if ((err as { code?: unknown }).code === NOT_FOUND) return undefined;
        throw new TransientError(`Cloud Run: reading execution ${name} failed`, {
          cause: err,
          hint: 'check that this service account has run.executions.get on the load-test job (roles/run.viewer)',
        });
      }
    },
  };
}
