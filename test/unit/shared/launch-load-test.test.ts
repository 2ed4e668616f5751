import { describe, expect, it } from 'vitest';
import { loadTestTasks, MAX_TASKS, RATE_PER_TASK, USER_LATENCY_FLOOR_MS } from '../../../shared/launch-load-test.js';

const profile = { durationS: 300, thresholds: [] };

describe('loadTestTasks', () => {
  it('splits a rate by what one task holds, rounding up', () => {
    expect(loadTestTasks({ ...profile, rate: 1 })).toBe(1);
    expect(loadTestTasks({ ...profile, rate: RATE_PER_TASK })).toBe(1);
    expect(loadTestTasks({ ...profile, rate: RATE_PER_TASK + 1 })).toBe(2);
    expect(loadTestTasks({ ...profile, rate: 20_000 })).toBe(8);
  });

  it('splits users by their highest rate: one request in flight each, the latency floor plus the think time', () => {
    // 150 users thinking 1 s send at most 150 / 1.01 s: one task.
    expect(loadTestTasks({ ...profile, users: 150, thinkTimeMs: 1000 })).toBe(1);
    // Without think time a user sends up to 1000 / USER_LATENCY_FLOOR_MS requests/s.
    const perTask = (RATE_PER_TASK * USER_LATENCY_FLOOR_MS) / 1000;
    expect(loadTestTasks({ ...profile, users: perTask, thinkTimeMs: 0 })).toBe(1);
    expect(loadTestTasks({ ...profile, users: perTask + 1, thinkTimeMs: 0 })).toBe(2);
    expect(loadTestTasks({ ...profile, users: 1 })).toBe(1);
  });

  it.each([
    [{ rate: 1000 }, 1],
    [{ rate: 20_000 }, 8],
    [{ rate: 500_000 }, 100],
    [{ users: 150, thinkTimeMs: 1000 }, 1],
    [{ users: 2525, thinkTimeMs: 1000 }, 1],
    [{ users: 1000, thinkTimeMs: 0 }, 40],
    [{ users: 10_000, thinkTimeMs: 100 }, 37],
  ])('docs/loadtest.md’s table: %o runs as %i tasks', (load, tasks) => {
    expect(loadTestTasks({ ...profile, ...load })).toBe(tasks);
  });

  it('never exceeds the cap, and a capacity search stays one task', () => {
    expect(loadTestTasks({ ...profile, rate: 10_000_000 })).toBe(MAX_TASKS);
    expect(loadTestTasks({ ...profile, users: 100_000, thinkTimeMs: 0 })).toBe(MAX_TASKS);
    const capacity = { p99BoundMs: 200, errorsBound: 0.01, startRps: 50_000, probeS: 30 };
    expect(loadTestTasks({ ...profile, rate: 50_000, capacity })).toBe(1);
  });
});
