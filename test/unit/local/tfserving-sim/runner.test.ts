import { describe, expect, it } from 'vitest';
import { DEFAULT_COST, idleLatencyMs } from '../../../../local/tfserving-sim/cost-model.js';
import { createFixedLatencyRunner, createSharedCpuRunner } from '../../../../local/tfserving-sim/runner.js';
import { createFakeClock } from './fake-clock.js';

function track(promise: Promise<void>, clock: { now(): number }) {
  const result = { doneAt: undefined as number | undefined };
  void promise.then(() => (result.doneAt = clock.now()));
  return result;
}

describe('shared-CPU runner', () => {
  it('finishes a lone run at the cost model idle latency', async () => {
    const clock = createFakeClock();
    const capacity = { cpus: 8, intraOp: 8, interOp: 4 };
    const run = track(createSharedCpuRunner(DEFAULT_COST, capacity, clock).run(1), clock);
    await clock.advanceTo(1000);
    expect(run.doneAt).toBeCloseTo(idleLatencyMs(DEFAULT_COST, capacity), 6);
  });

  it('shares the CPUs: two concurrent runs on one core each take twice as long and finish together', async () => {
    const clock = createFakeClock();
    const cost = { ...DEFAULT_COST, cpuMsPerExample: 10 };
    const runner = createSharedCpuRunner(cost, { cpus: 1, intraOp: 1, interOp: 2 }, clock);
    const a = track(runner.run(1), clock);
    const b = track(runner.run(1), clock);
    await clock.advanceTo(100);
    // Two single-thread runs on one core: each at half speed, 20 ms, plus the oversubscription penalty (5%).
    expect(a.doneAt).toBeCloseTo(21, 6);
    expect(b.doneAt).toBeCloseTo(21, 6);
    expect(runner.cpuMs()).toBeCloseTo(21, 6);
  });

  it('lets a later, shorter run finish first (processor sharing, not FIFO)', async () => {
    const clock = createFakeClock();
    const cost = { ...DEFAULT_COST, cpuMsPerExample: 10, perRunOverhead: 0 };
    const runner = createSharedCpuRunner(cost, { cpus: 2, intraOp: 1, interOp: 2 }, clock);
    const long = track(runner.run(10), clock);
    await clock.advanceTo(5);
    const short = track(runner.run(1), clock);
    await clock.advanceTo(1000);
    expect(short.doneAt).toBeCloseTo(15, 6);
    expect(long.doneAt).toBeCloseTo(100, 6);
  });
});

describe('fixed-latency runner', () => {
  it('takes exactly the latency at any load', async () => {
    const clock = createFakeClock();
    const runner = createFixedLatencyRunner(40, clock);
    const runs = Array.from({ length: 50 }, () => track(runner.run(3), clock));
    await clock.advanceTo(100);
    expect(runs.every((r) => r.doneAt === 40)).toBe(true);
  });
});
