import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { ExecutionLog } from './execution-log.js';
import { executionStatus, taskFailure, taskName, timestamp, type TaskState } from './execution-status.js';
import type { JobRun } from './job.js';
import type { RunningTask, TaskRuntime } from './task.js';

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export interface ExecutionPlan {
  job: string;
  /** The execution's short name, `<job>-<suffix>`; its full name is `<job>/executions/<id>`. */
  id: string;
  run: JobRun;
  logFile: string;
  /** Sees each task once it runs. */
  onTask?: (index: number, task: RunningTask) => void;
}

export interface RunningExecution {
  /** The Execution message as grpc-js serializes it, kept current. */
  wire: Record<string, unknown>;
  /** Ends every task still running (each counts as cancelled) and resolves once the execution has ended. */
  cancel(): Promise<void>;
}

/**
 * One execution: its tasks all started at once (parallelism = taskCount), each with Cloud Run's variables and killed
 * at the task timeout. `onChange` sees the Execution whenever a task starts or ends, with done once all have ended and
 * the log is complete.
 */
export function startExecution(
  plan: ExecutionPlan,
  runtime: TaskRuntime,
  onChange: (wire: Record<string, unknown>, done: boolean) => void,
): RunningExecution {
  const { run } = plan;
  const name = `${plan.job}/executions/${plan.id}`;
  const log = new ExecutionLog(plan.logFile);
  const tasks: TaskState[] = Array.from({ length: run.taskCount }, () => ({ state: 'pending' }));
  const running = new Set<RunningTask>();
  let cancelled = false;
  const now = timestamp(new Date());
  const wire: Record<string, unknown> = {
    name,
    uid: randomUUID(),
    job: plan.job,
    createTime: now,
    startTime: now,
    taskCount: run.taskCount,
    parallelism: run.taskCount,
    logUri: pathToFileURL(plan.logFile).href,
  };
  // The last change is reported once the log is complete.
  const publish = (): void => {
    const status = executionStatus(plan.id, tasks);
    Object.assign(wire, status.fields);
    if (!status.done) onChange(wire, false);
  };

  const runTask = async (index: number): Promise<void> => {
    const set = (state: TaskState) => {
      tasks[index] = state;
      publish();
    };
    if (cancelled) return set({ state: 'cancelled' });
    let task: RunningTask;
    try {
      task = await runtime.launch({
        name: taskName(plan.id, index),
        execution: name,
        index,
        args: run.args,
        env: {
          ...run.env,
          // Cloud Run's own variables win over the job's.
          CLOUD_RUN_JOB: plan.job.split('/').at(-1) ?? '',
          CLOUD_RUN_EXECUTION: plan.id,
          CLOUD_RUN_TASK_INDEX: String(index),
          CLOUD_RUN_TASK_COUNT: String(run.taskCount),
          CLOUD_RUN_TASK_ATTEMPT: '0',
        },
        log,
      });
    } catch (err) {
      return set(
        cancelled ? { state: 'cancelled' } : taskFailure.other(`The container could not start: ${message(err)}`),
      );
    }
    running.add(task);
    plan.onTask?.(index, task);
    if (cancelled) void task.kill();
    set({ state: 'running' });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      task.kill().catch((err: unknown) => log.write('execution', `killing task ${index} failed: ${message(err)}`));
    }, run.timeoutS * 1000);
    try {
      const exit = await task.exited;
      set(
        timedOut
          ? taskFailure.timeout()
          : cancelled
            ? { state: 'cancelled' }
            : exit.code === 0
              ? { state: 'succeeded' }
              : taskFailure.exit(exit),
      );
    } catch (err) {
      set(taskFailure.other(message(err)));
    } finally {
      clearTimeout(timer);
      running.delete(task);
    }
  };

  const ended = (async () => {
    try {
      await runtime.prepare();
      await Promise.all(tasks.map((_, index) => runTask(index)));
    } catch (err) {
      tasks.fill(taskFailure.other(message(err)));
    }
    publish();
    const completed = (wire.conditions as Array<{ message: string }>)[0]!;
    log.write('execution', completed.message);
    await log.close();
    onChange(wire, true);
  })();

  Object.assign(wire, executionStatus(plan.id, tasks).fields);
  return {
    wire,
    async cancel() {
      cancelled = true;
      await Promise.all([...running].map((task) => task.kill()));
      await ended;
    },
  };
}
