import type { SimClock } from '../../../../local/tfserving-sim/clock.js';

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A clock that moves only when told: timers fire in order, and promise chains settle between them. */
export function createFakeClock(): SimClock & { advanceTo(ms: number): Promise<void>; pending(): number } {
  let now = 0;
  let seq = 0;
  const timers: { at: number; seq: number; fn: () => void }[] = [];
  return {
    now: () => now,
    setTimer(ms, fn) {
      const timer = { at: now + Math.max(0, ms), seq: seq++, fn };
      timers.push(timer);
      return () => {
        const i = timers.indexOf(timer);
        if (i >= 0) timers.splice(i, 1);
      };
    },
    async advanceTo(target) {
      for (;;) {
        await settle();
        timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const next = timers[0];
        if (!next || next.at > target) break;
        timers.shift();
        now = next.at;
        next.fn();
      }
      now = target;
      await settle();
    },
    pending: () => timers.length,
  };
}
