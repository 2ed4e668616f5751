import type { SimClock } from './clock.js';

/**
 * Periodic stalls (like a long GC pause): from `everyMs` after start, every `everyMs`, the server stalls for
 * `stallMs`. A request that arrives, or whose response is ready, during a stall waits until the stall ends. This is
 * the scenario where a closed-loop load tester under-reports tail latency (coordinated omission).
 */
export interface StallGate {
  /** Resolves at once outside a stall, at the stall's end inside one. */
  pass(): Promise<void>;
}

export function createStallGate(everyMs: number, stallMs: number, clock: SimClock): StallGate {
  const start = clock.now();
  return {
    pass() {
      const since = clock.now() - start;
      const intoCycle = since % everyMs;
      const stalled = since >= everyMs && intoCycle < stallMs;
      if (!stalled) return Promise.resolve();
      return new Promise<void>((done) => void clock.setTimer(stallMs - intoCycle, done));
    },
  };
}

export const openGate: StallGate = { pass: () => Promise.resolve() };
