import { describe, expect, it } from 'vitest';
import {
  loadTestTasks,
  MAX_TASKS,
  ratePerTask,
  SEED_REQUEST_BYTES,
  USER_LATENCY_FLOOR_MS,
} from '../../../shared/launch-load-test.js';

const profile = { durationS: 300, thresholds: [] };

describe('ratePerTask', () => {
  it("is the network's share for the seed's 602 KB request, the CPU's for a small one", () => {
    // Half of 1 Gbps over 602,250 bytes on the wire.
    expect(ratePerTask(SEED_REQUEST_BYTES)).toBe(103);
    // Half of 4 vCPU at 13 µs a request.
    expect(ratePerTask(45)).toBe(153_680);
    expect(ratePerTask(10_000)).toBe(6210);
  });
});

describe('loadTestTasks', () => {
  it('splits a rate by what one task holds with its requests, rounding up', () => {
    expect(loadTestTasks({ ...profile, rate: 103 })).toBe(1);
    expect(loadTestTasks({ ...profile, rate: 104 })).toBe(2);
    expect(loadTestTasks({ ...profile, rate: 104, requestBytes: 45 })).toBe(1);
    expect(loadTestTasks({ ...profile, rate: 50_000, requestBytes: 10_000 })).toBe(9);
  });

  it('splits users by their highest rate: one request in flight each, the latency floor plus the think time', () => {
    const perTask = (ratePerTask(45) * USER_LATENCY_FLOOR_MS) / 1000;
    expect(loadTestTasks({ ...profile, users: Math.floor(perTask), thinkTimeMs: 0, requestBytes: 45 })).toBe(1);
    expect(loadTestTasks({ ...profile, users: Math.ceil(perTask) + 1, thinkTimeMs: 0, requestBytes: 45 })).toBe(2);
    expect(loadTestTasks({ ...profile, users: 1 })).toBe(1);
  });

  it.each([
    [{ rate: 1000 }, 10],
    [{ rate: 20_000, requestBytes: 45 }, 1],
    [{ rate: 100_000, requestBytes: 10_000 }, 17],
    [{ users: 150, thinkTimeMs: 1000 }, 2],
    [{ users: 100, thinkTimeMs: 1000 }, 1],
    [{ users: 1000, thinkTimeMs: 0, requestBytes: 45 }, 1],
    [{ users: 10_000, thinkTimeMs: 0, requestBytes: 45 }, 7],
  ])('docs/loadtest.md’s table: %o runs as %i tasks', (load, tasks) => {
    expect(loadTestTasks({ ...profile, ...load })).toBe(tasks);
  });

  it('never exceeds the cap, and a capacity search stays one task', () => {
    expect(loadTestTasks({ ...profile, rate: 20_000 })).toBe(MAX_TASKS);
    // LOAD_TEST_MAX_TASKS: the local stack's one machine runs one.
    expect(loadTestTasks({ ...profile, rate: 20_000, maxTasks: 3 })).toBe(3);
    expect(loadTestTasks({ ...profile, users: 20, thinkTimeMs: 100, maxTasks: 1 })).toBe(1);
    expect(loadTestTasks({ ...profile, users: 100_000, thinkTimeMs: 0 })).toBe(MAX_TASKS);
    const capacity = { p99BoundMs: 200, errorsBound: 0.01, startRps: 50_000, probeS: 30 };
    expect(loadTestTasks({ ...profile, rate: 50_000, capacity })).toBe(1);
  });
});
