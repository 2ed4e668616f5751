import { describe, expect, it } from 'vitest';
import { run as runClosed } from '../../../loadtest/models/closed.js';
import { constantRate, run as runOpen } from '../../../loadtest/models/open.js';
import type { LoadEvent } from '../../../loadtest/sample.js';
import { composeShard, WHOLE_PLAN, type Shard } from '../../../loadtest/shard-split.js';
import { virtualClock } from './virtual-clock.js';

const ok = { ok: true, code: 'OK', bytesSent: 1, bytesReceived: 1 };

/** The intended send offsets (open) or the users' start offsets (closed) one shard of the plan runs. */
async function sends(kind: 'open' | 'closed', shard: Shard): Promise<number[]> {
  const events: LoadEvent[] = [];
  const clock = virtualClock();
  const ctx = { startMs: 0, shard, send: () => Promise.resolve(ok), clock, signal: new AbortController().signal };
  if (kind === 'open') {
    await runOpen({ kind: 'open', stages: constantRate(30, 4000), maxInFlight: 1000 }, ctx, (e) => events.push(e));
    return events.map((e) => e.intendedMs);
  }
  // One user per 100 ms; each first sleeps until its start, then thinks past the end (2 s).
  await runClosed({ kind: 'closed', users: 12, spawnRate: 10, thinkTimeMs: 10_000, durationMs: 2000 }, ctx, () => {});
  return clock.slept.filter((at) => at < 2000);
}

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

describe('composeShard: task i of N, thread w of W', () => {
  it('is the thread itself when the plan is not split into tasks', () => {
    expect(composeShard(WHOLE_PLAN, { index: 2, count: 4 })).toEqual({ index: 2, count: 4 });
    expect(composeShard({ index: 1, count: 3 }, { index: 2, count: 4 })).toEqual({ index: 7, count: 12 });
  });

  it.each(['open', 'closed'] as const)(
    '%s: a task’s threads run exactly the task’s share, and the tasks together exactly the plan',
    async (kind) => {
      const whole = await sends(kind, WHOLE_PLAN);
      const tasks = 3;
      const threads = 2;
      const perTask: number[][] = [];
      for (let t = 0; t < tasks; t += 1) {
        const task = { index: t, count: tasks };
        const ofThreads = await Promise.all(
          Array.from({ length: threads }, (_, w) => sends(kind, composeShard(task, { index: w, count: threads }))),
        );
        const share = await sends(kind, task);
        expect(sorted(ofThreads.flat())).toEqual(sorted(share));
        // Task t's share is every tasks-th send of the plan, from the t-th.
        expect(sorted(share)).toEqual(whole.filter((_, n) => n % tasks === t));
        perTask.push(share);
      }
      expect(sorted(perTask.flat())).toEqual(sorted(whole));
      expect(perTask.map((s) => s.length)).toEqual(kind === 'open' ? [40, 40, 40] : [4, 4, 4]);
    },
  );
});
