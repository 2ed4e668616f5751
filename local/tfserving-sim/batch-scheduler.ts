import { status } from '@grpc/grpc-js';
import type { BatchingParameters } from './batching-config.js';
import type { SimClock } from './clock.js';
import type { Runner } from './runner.js';
import { invalidArgument, SimStatusError } from './sim-status.js';

interface Task {
  size: number;
  enqueuedAt: number;
  done: () => void;
}

interface Batch {
  tasks: Task[];
  size: number;
  openedAt: number;
  closed: boolean;
}

export interface BatchObserver {
  /** A batch started: its size after padding and the time each of its tasks queued, in ms. */
  onBatch(paddedSize: number, queuedMs: number[]): void;
}

/**
 * TF Serving's basic batch scheduler: tasks join the open batch until it would exceed max_batch_size; a batch runs
 * when a batch thread is free and it is full or batch_timeout_micros old (so with timeout 0, batches grow while all
 * num_batch_threads are busy). At most max_enqueued_batches wait, the open one included; past that a task is refused
 * with UNAVAILABLE. A batch is padded up to the next allowed_batch_sizes entry. Large-batch splitting is not simulated.
 */
export function createBatchScheduler(
  params: BatchingParameters,
  runner: Runner,
  clock: SimClock,
  observer: BatchObserver,
) {
  const queue: Batch[] = [];
  let busy = 0;
  let cancelTimer: (() => void) | undefined;
  const timeoutMs = params.batchTimeoutMicros / 1000;

  const padded = (size: number) => params.allowedBatchSizes.find((s) => s >= size) ?? size;

  function start(batch: Batch): void {
    busy++;
    const now = clock.now();
    const size = padded(batch.size);
    observer.onBatch(
      size,
      batch.tasks.map((t) => now - t.enqueuedAt),
    );
    void runner.run(size).then(() => {
      busy--;
      for (const task of batch.tasks) task.done();
      dispatch();
    });
  }

  function dispatch(): void {
    cancelTimer?.();
    cancelTimer = undefined;
    while (busy < params.numBatchThreads && queue.length > 0) {
      const first = queue[0] as Batch;
      const dueIn = first.openedAt + timeoutMs - clock.now();
      if (!first.closed && dueIn > 0) {
        cancelTimer = clock.setTimer(dueIn, dispatch);
        return;
      }
      queue.shift();
      start(first);
    }
  }

  return {
    /** Resolves when the task's batch has run. */
    submit(size: number): Promise<void> {
      if (size > params.maxBatchSize) {
        return Promise.reject(
          invalidArgument(`Task size ${size} is larger than maximum input batch size ${params.maxBatchSize}`),
        );
      }
      let open = queue[queue.length - 1];
      if (!open || open.closed || open.size + size > params.maxBatchSize) {
        if (open) open.closed = true;
        if (queue.length >= params.maxEnqueuedBatches) {
          return Promise.reject(
            new SimStatusError(
              status.UNAVAILABLE,
              'The batch scheduling queue to which this task was submitted is full',
            ),
          );
        }
        open = { tasks: [], size: 0, openedAt: clock.now(), closed: false };
        queue.push(open);
      }
      const batch = open;
      return new Promise<void>((done) => {
        batch.tasks.push({ size, enqueuedAt: clock.now(), done });
        batch.size += size;
        if (batch.size === params.maxBatchSize) batch.closed = true;
        dispatch();
      });
    },
  };
}

export type BatchScheduler = ReturnType<typeof createBatchScheduler>;
