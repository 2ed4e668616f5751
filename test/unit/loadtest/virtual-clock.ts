import type { Clock } from '../../../loadtest/clock.js';

/** A clock whose sleeps pass at once, moving its time forward: waits and schedules run without waiting. */
export function virtualClock(startMs = 0): Clock & { readonly slept: number[] } {
  let now = startMs;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleepUntil(atMs) {
      slept.push(atMs);
      now = Math.max(now, atMs);
      return Promise.resolve();
    },
  };
}
