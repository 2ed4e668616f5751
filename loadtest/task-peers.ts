import type { ReportStore } from '../shared/report-store.js';
import { errorMessage, ModelshipError } from '../shared/errors.js';
import { systemClock, type Clock } from './clock.js';
import { formatDuration } from './duration.js';
import type { Shard } from './shard-split.js';
import type { TaskResult } from './task-result.js';

/** What the tasks of one load test exchange through: the report store's object operations. */
export type TaskObjects = Pick<ReportStore, 'putObject' | 'getObject' | 'list'>;

/**
 * Between the last task's readiness and the common start: time for every task to see the last ready.json (one
 * poll) and its threads to get 'go'. Every task computes the same instant from the same objects.
 */
export const START_LEAD_MS = 2000;
/** How often a task lists the indexes' objects while it waits: a list a second is a Class A operation a second. */
export const POLL_MS = 500;

/** The test failed because of another task, which reports its own failure: this one publishes nothing. */
export class PeerTaskFailed extends ModelshipError {
  override readonly name = 'PeerTaskFailed';
}

/**
 * One task's side of the protocol of docs/loadtest.md ("Several tasks"), under `prefix/tasks/INDEX/`:
 * `ready.json` once its threads are connected, `result.json` when its share has run, `failed.json` when it cannot.
 * No coordinator: the objects are the only channel, and every decision is a pure function of them.
 */
export interface TaskPeers {
  readonly task: Shard;
  /**
   * The barrier: writes ready.json, waits until all tasks have written theirs, and returns the latest readyAt plus
   * START_LEAD_MS. Past `timeoutMs` (--connect-timeout), it fails naming the tasks that never became ready; when
   * another task failed meanwhile, it throws PeerTaskFailed.
   */
  startAt(readyMs: number, timeoutMs: number): Promise<number>;
  putResult(result: TaskResult): Promise<void>;
  putFailed(reason: string): Promise<void>;
  /**
   * The lead's wait for every result, until `deadlineMs`: all of them in task order, or PeerTaskFailed with the
   * first failed task's reason, or with the tasks that never reported (killed: Cloud Run says why).
   */
  results(deadlineMs: number): Promise<TaskResult[]>;
}

type Kind = 'ready' | 'result' | 'failed';

export function taskPeers(o: {
  objects: TaskObjects;
  prefix: string;
  task: Shard;
  clock?: Clock;
  pollMs?: number;
}): TaskPeers {
  const { objects, task } = o;
  const clock = o.clock ?? systemClock;
  const dir = `${o.prefix}/tasks`;
  const path = (index: number, kind: Kind): string => `${dir}/${index}/${kind}.json`;
  const me = `task ${task.index} of ${task.count}`;
  const indexes = Array.from({ length: task.count }, (_, i) => i);
  const read = async <T>(index: number, kind: Kind): Promise<T> => {
    const text = await objects.getObject(path(index, kind));
    if (text === undefined) throw new ModelshipError(`${path(index, kind)} was listed but cannot be read`);
    return JSON.parse(text) as T;
  };
  /** Which tasks have written an object of this kind so far. */
  const written = async (): Promise<Record<Kind, Set<number>>> => {
    const found: Record<Kind, Set<number>> = { ready: new Set(), result: new Set(), failed: new Set() };
    for (const name of await objects.list(dir)) {
      const match = /\/tasks\/(\d+)\/(ready|result|failed)\.json$/.exec(name);
      if (match) found[match[2] as Kind].add(Number(match[1]));
    }
    return found;
  };
  const peerFailed = async (failed: Set<number>): Promise<never> => {
    const index = Math.min(...failed);
    const { reason } = await read<{ reason: string }>(index, 'failed');
    throw new PeerTaskFailed(`${me}: task ${index} failed, so this test has no whole result: ${reason}`);
  };
  /** Polls until `done` holds of what is written, or a task failed, or the deadline passed (then `late`). */
  const waitFor = async (
    done: (w: Record<Kind, Set<number>>) => boolean,
    deadlineMs: number,
    late: (w: Record<Kind, Set<number>>) => Error,
  ): Promise<void> => {
    const never = new AbortController().signal;
    for (;;) {
      const w = await written();
      const failed = new Set([...w.failed].filter((i) => i !== task.index));
      if (failed.size) await peerFailed(failed);
      if (done(w)) return;
      if (clock.now() >= deadlineMs) throw late(w);
      await clock.sleepUntil(Math.min(deadlineMs, clock.now() + (o.pollMs ?? POLL_MS)), never);
    }
  };
  const missing = (have: Set<number>): string =>
    indexes
      .filter((i) => !have.has(i))
      .map(String)
      .join(', ');

  return {
    task,
    async startAt(readyMs, timeoutMs) {
      await objects.putObject(path(task.index, 'ready'), JSON.stringify({ readyAt: readyMs }));
      await waitFor(
        (w) => w.ready.size === task.count,
        readyMs + timeoutMs,
        (w) =>
          // The lead says so for the test (it cannot run); the indexes' failing would only repeat it.
          new (task.index === 0 ? ModelshipError : PeerTaskFailed)(
            `${me}: tasks ${missing(w.ready)} never became ready within ${formatDuration(timeoutMs)} (--connect-timeout) of this one`,
            {
              hint: "Cloud Run starts all tasks at once only within the project's parallelism quota, and a task that cannot reach the target does not become ready: see the execution's log",
            },
          ),
      );
      const readyAts = await Promise.all(indexes.map((i) => read<{ readyAt: number }>(i, 'ready')));
      return Math.max(...readyAts.map((r) => r.readyAt)) + START_LEAD_MS;
    },
    putResult: async (result) => void (await objects.putObject(path(task.index, 'result'), JSON.stringify(result))),
    putFailed: async (reason) => void (await objects.putObject(path(task.index, 'failed'), JSON.stringify({ reason }))),
    async results(deadlineMs) {
      await waitFor(
        (w) => w.result.size === task.count,
        deadlineMs,
        (w) =>
          new PeerTaskFailed(
            `${me}: tasks ${missing(w.result)} reported no result by ${new Date(deadlineMs).toISOString()}: killed or hung (the execution's log and Cloud Run's message say why)`,
          ),
      );
      return Promise.all(indexes.map((i) => read<TaskResult>(i, 'result')));
    },
  };
}

/** This task's reason as the test's, naming the task: what failed.json and PipelineFailed say. */
export const taskReason = (task: Shard, err: unknown): string =>
  `task ${task.index} of ${task.count}: ${errorMessage(err)}`;
