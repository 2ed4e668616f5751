import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../../loadtest/clock.js';
import { run, type ClosedConfig } from '../../../../loadtest/models/closed.js';
import type { LoadEvent, RequestSample } from '../../../../loadtest/sample.js';
import { WHOLE_PLAN } from '../../../../loadtest/shard-split.js';

const ok = { ok: true, code: 'OK', bytesSent: 1, bytesReceived: 1 };

/** Runs one user against a server that answers in `serviceMs` of virtual time; returns what it emitted. */
async function runWith(config: Omit<ClosedConfig, 'kind' | 'users' | 'spawnRate'>, serviceMs: number) {
  const events: LoadEvent[] = [];
  let now = 0;
  const clock: Clock = { now: () => now, sleepUntil: async (atMs) => void (now = Math.max(now, atMs)) };
  const send = async (): Promise<typeof ok> => {
    now += serviceMs;
    return ok;
  };
  const ctx = { startMs: 0, shard: WHOLE_PLAN, send, clock, signal: new AbortController().signal };
  await run({ kind: 'closed', users: 1, spawnRate: 1, ...config }, ctx, (e) => events.push(e));
  return (events as RequestSample[]).map((e) => [e.intendedMs, e.endMs]);
}

describe('closed model', () => {
  it('without think time, a user sends again the instant its reply came, until the end', async () => {
    const events = await runWith({ thinkTimeMs: 0, durationMs: 100 }, 30);
    expect(events).toEqual([
      [0, 30],
      [30, 60],
      [60, 90],
      [90, 120],
    ]);
  });

  it('with think time, a user waits that long after each reply, and no longer than the end', async () => {
    const events = await runWith({ thinkTimeMs: 50, durationMs: 200 }, 30);
    expect(events).toEqual([
      [0, 30],
      [80, 110],
      [160, 190],
    ]);
  });
});
