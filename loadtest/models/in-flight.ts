/** Counts requests in flight and lets a model wait until they have all settled (or the signal aborts). */
export class InFlight {
  count = 0;
  private idle: (() => void) | undefined;

  track(request: Promise<unknown>): void {
    this.count += 1;
    void request.finally(() => {
      this.count -= 1;
      if (this.count === 0) this.idle?.();
    });
  }

  settled(signal: AbortSignal): Promise<void> {
    if (this.count === 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.idle = undefined;
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.idle = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
