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
      let timer: NodeJS.Timeout;
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      // Node's timers may fire up to a millisecond early: sleep again for what is left, so that a schedule (and a
      // think time) is never shorter than asked.
      const wake = (): void => {
        const left = atMs - systemClock.now();
        if (left > 0) timer = setTimeout(wake, Math.ceil(left));
        else done();
      };
      timer = setTimeout(wake, delay);
      signal.addEventListener('abort', done, { once: true });
    });
  },
};
