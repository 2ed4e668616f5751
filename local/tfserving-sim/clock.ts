/** Time for the simulator, injected so that tests can drive queues and timers without waiting. */
export interface SimClock {
  /** Milliseconds, monotonic. */
  now(): number;
  setTimer(ms: number, fn: () => void): () => void;
}

export const realClock: SimClock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};
