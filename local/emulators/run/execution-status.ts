import type { TaskExit } from './execution-log.js';

/**
 * How Cloud Run reports an execution from its tasks' states: the counts, and the Completed condition with Cloud Run's
 * wording, e.g. "Task modelship-loadtest-1a2b3c-task1 failed with message: The container exited with an error."
 * (gcloud shows the same), to which the emulator adds the exit code, and "…: The configured timeout was reached."
 * An execution fails when any task fails (maxRetries 0); the message names the task that failed first, whose reason
 * is the execution's (the others may have failed because of it: a load test's lead gives up waiting for a killed task).
 */

export type TaskState =
  | { state: 'pending' | 'running' | 'succeeded' | 'cancelled' }
  | { state: 'failed'; message: string; executionReason?: string; at: number };

export const taskFailure = {
  exit: ({ code, signal }: TaskExit): TaskState => ({
    state: 'failed',
    message: `The container exited with an error (${code === null ? `killed by signal ${signal ?? 'unknown'}` : `exit code ${code}`}).`,
    executionReason: 'NON_ZERO_EXIT_CODE',
    at: performance.now(),
  }),
  timeout: (): TaskState => ({
    state: 'failed',
    message: 'The configured timeout was reached.',
    at: performance.now(),
  }),
  other: (message: string): TaskState => ({ state: 'failed', message, at: performance.now() }),
};

/** Cloud Run's name of an execution's task. */
export const taskName = (executionId: string, index: number): string => `${executionId}-task${index}`;

export const timestamp = (d: Date) => ({
  seconds: String(Math.floor(d.getTime() / 1000)),
  nanos: (d.getTime() % 1000) * 1e6,
});

/** The Execution's fields that follow its tasks, and whether it has ended. */
export function executionStatus(
  executionId: string,
  tasks: readonly TaskState[],
): {
  done: boolean;
  fields: Record<string, unknown>;
} {
  const count = (state: TaskState['state']) => tasks.filter((t) => t.state === state).length;
  const done = tasks.every((t) => t.state !== 'pending' && t.state !== 'running');
  const now = timestamp(new Date());
  const failures = tasks.flatMap((t, index) => (t.state === 'failed' ? [{ index, at: t.at }] : []));
  const failedIndex = failures.sort((a, b) => a.at - b.at)[0]?.index ?? -1;
  const failed = tasks[failedIndex];
  const completed = !done
    ? { state: 'CONDITION_PENDING', message: 'Waiting for execution to complete.' }
    : failed?.state === 'failed'
      ? {
          state: 'CONDITION_FAILED',
          message: `Task ${taskName(executionId, failedIndex)} failed with message: ${failed.message}`,
          ...(failed.executionReason ? { executionReason: failed.executionReason } : {}),
        }
      : count('cancelled')
        ? { state: 'CONDITION_FAILED', message: 'The execution was cancelled.', executionReason: 'CANCELLED' }
        : { state: 'CONDITION_SUCCEEDED', message: 'Execution completed successfully.' };
  return {
    done,
    fields: {
      runningCount: count('running'),
      succeededCount: count('succeeded'),
      failedCount: count('failed'),
      cancelledCount: count('cancelled'),
      reconciling: !done,
      ...(done ? { completionTime: now } : {}),
      conditions: [{ type: 'Completed', lastTransitionTime: now, ...completed }],
    },
  };
}
