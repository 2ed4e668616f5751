import { describe, expect, it } from 'vitest';
import { createBatchScheduler } from '../../../../local/tfserving-sim/batch-scheduler.js';
import { parseBatchingParameters } from '../../../../local/tfserving-sim/batching-config.js';
import { DEFAULT_COST } from '../../../../local/tfserving-sim/cost-model.js';
import { createSharedCpuRunner } from '../../../../local/tfserving-sim/runner.js';
import type { SimStatusError } from '../../../../local/tfserving-sim/sim-status.js';
import { createFakeClock } from './fake-clock.js';

const seedBatching = `
max_batch_size { value: 128 }
batch_timeout_micros { value: 0 }
max_enqueued_batches { value: 2 }
num_batch_threads { value: 2 }
`;
const capacity = { cpus: 8, intraOp: 8, interOp: 4 };

/** Sends `count` single-example requests at once and returns the simulated CPU ms spent per example. */
async function cpuPerExample(batching: boolean, count: number): Promise<number> {
  const clock = createFakeClock();
  const runner = createSharedCpuRunner(DEFAULT_COST, capacity, clock);
  const params = parseBatchingParameters(seedBatching, 8);
  const scheduler = createBatchScheduler({ ...params, maxEnqueuedBatches: 100 }, runner, clock, { onBatch: () => {} });
  let done = 0;
  for (let i = 0; i < count; i++) void (batching ? scheduler.submit(1) : runner.run(1)).then(() => done++);
  await clock.advanceTo(60_000);
  expect(done).toBe(count);
  return runner.cpuMs() / count;
}

describe('batch scheduler', () => {
  it('spends fewer CPU-seconds per example with batching than without', async () => {
    const batched = await cpuPerExample(true, 64);
    const unbatched = await cpuPerExample(false, 64);
    expect(batched).toBeLessThan(unbatched * 0.8);
  });

  it('grows batches while all batch threads are busy, pads to allowed_batch_sizes, and reports queueing', async () => {
    const clock = createFakeClock();
    const runner = createSharedCpuRunner(DEFAULT_COST, capacity, clock);
    const params = parseBatchingParameters(
      `${seedBatching}allowed_batch_sizes: [8, 32, 128]\nmax_enqueued_batches { value: 4 }`,
      8,
    );
    const batches: { size: number; queued: number[] }[] = [];
    const scheduler = createBatchScheduler(params, runner, clock, {
      onBatch: (size, queued) => batches.push({ size, queued }),
    });
    for (let i = 0; i < 2; i++) void scheduler.submit(1); // two threads, two batches of one
    for (let i = 0; i < 20; i++) void scheduler.submit(1); // they wait in one open batch
    await clock.advanceTo(10_000);
    expect(batches.map((b) => b.size)).toEqual([8, 8, 32]);
    expect(Math.min(...(batches[2]?.queued ?? []))).toBeGreaterThan(0);
  });

  it('refuses a task with UNAVAILABLE when max_enqueued_batches are waiting', async () => {
    const clock = createFakeClock();
    const runner = createSharedCpuRunner(DEFAULT_COST, capacity, clock);
    const params = parseBatchingParameters(
      'max_batch_size { value: 2 } max_enqueued_batches { value: 1 } num_batch_threads { value: 1 }',
      8,
    );
    const scheduler = createBatchScheduler(params, runner, clock, { onBatch: () => {} });
    void scheduler.submit(2); // runs at once
    await clock.advanceTo(0);
    void scheduler.submit(2); // fills the one queue slot
    const refused = await scheduler.submit(1).catch((e: SimStatusError) => e);
    expect(refused).toMatchObject({
      code: 14,
      message: 'The batch scheduling queue to which this task was submitted is full',
    });
    const tooBig = await scheduler.submit(3).catch((e: SimStatusError) => e);
    expect(tooBig).toMatchObject({ code: 3, message: 'Task size 3 is larger than maximum input batch size 2' });
  });

  it('waits batch_timeout_micros for more tasks when a thread is free', async () => {
    const clock = createFakeClock();
    const runner = createSharedCpuRunner(DEFAULT_COST, capacity, clock);
    const params = parseBatchingParameters('max_batch_size { value: 8 } batch_timeout_micros { value: 5000 }', 8);
    const sizes: number[] = [];
    const scheduler = createBatchScheduler(params, runner, clock, { onBatch: (size) => sizes.push(size) });
    void scheduler.submit(1);
    await clock.advanceTo(4);
    void scheduler.submit(2);
    expect(sizes).toEqual([]);
    await clock.advanceTo(5);
    expect(sizes).toEqual([3]);
  });
});
