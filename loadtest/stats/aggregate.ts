import { mergeWindow, newWindow, type Window } from './window.js';

/**
 * The engine's side: merges every thread's windows into the per-second series and the run's total. It keeps the
 * windows it is given (the first of each second becomes the series' own): they must not be changed after.
 */
export class Aggregate {
  readonly windows = new Map<number, Window>();
  readonly total: Window = newWindow(-1);
  warmupRequests = 0;

  add(drained: { windows: readonly Window[]; warmupRequests: number }): void {
    this.warmupRequests += drained.warmupRequests;
    for (const window of drained.windows) {
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
