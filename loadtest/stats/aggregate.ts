import { decodeWindow, mergeWindow, newWindow, type EncodedWindow, type Window } from './window.js';

/** The engine's side: merges every thread's windows into the per-second series and the run's total. */
export class Aggregate {
  readonly windows = new Map<number, Window>();
  readonly total: Window = newWindow(-1);
  warmupRequests = 0;

  add(drained: { windows: readonly EncodedWindow[]; warmupRequests: number }): void {
    this.warmupRequests += drained.warmupRequests;
    for (const encoded of drained.windows) {
      const window = decodeWindow(encoded);
      mergeWindow(this.total, window);
      const existing = this.windows.get(window.second);
      if (existing) mergeWindow(existing, window);
      else this.windows.set(window.second, window);
    }
  }

  /** Windows in time order. */
  series(): Window[] {
    return [...this.windows.values()].sort((a, b) => a.second - b.second);
  }
}
