/** Time for the load models: epoch milliseconds with sub-millisecond resolution, the same in every thread. */
export interface Clock {
  now(): number;
  /** Resolves at `atMs` (or at once if that has passed), or early when the signal aborts. */
  sleepUntil(atMs: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleepUntil(atMs, signal) {
    const delay = atMs - systemClock.now();
    if (delay <= 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, delay);
      signal.addEventListener('abort', done, { once: true });
    });
  },
};
