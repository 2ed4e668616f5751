import type { ExecutionLog, TaskExit } from './execution-log.js';

/** One task of an execution, as a runtime starts it. */
export interface TaskSpec {
  /** Cloud Run's task name, `<execution id>-task<index>`. */
  name: string;
  /** The execution's full name. */
  execution: string;
  index: number;
  args: string[];
  /** The job's env with the overrides, and Cloud Run's variables. */
  env: Record<string, string>;
  log: ExecutionLog;
}

export interface RunningTask {
  /** How it ended, once its output is in the log. */
  exited: Promise<TaskExit>;
  /** The host process id of a process task (a test kills one by it); none for a container. */
  pid?: number;
  /** Ends it at once: a timeout, a cancel. */
  kill(): Promise<void>;
}

/** Where a job's tasks run: podman containers, or host processes. */
export interface TaskRuntime {
  /** Before the first task; rejects with what Cloud Run reports for the execution (an image it cannot pull). */
  prepare(): Promise<void>;
  launch(task: TaskSpec): Promise<RunningTask>;
}
