import type { LoadEvent } from '../sample.js';
import { addFailure, newWindow, type Window } from './window.js';

/**
 * Records one thread's events into per-second windows (by completion time, like Locust's requests/s).
 * Events whose intended send time falls in the warmup are counted and otherwise ignored.
 */
export class Recorder {
  private windows = new Map<number, Window>();
  private warmup = 0;

  constructor(
    private readonly startMs: number,
    private readonly measureFromMs: number,
  ) {}

  record(event: LoadEvent): void {
    if (event.intendedMs < this.measureFromMs) {
      this.warmup += 1;
      return;
    }
    if (event.type === 'dropped') {
      this.window(event.intendedMs).dropped += 1;
      return;
    }
    const window = this.window(event.endMs);
    window.requests += 1;
    window.bytesSent += event.bytesSent;
    window.bytesReceived += event.bytesReceived;
    if (event.late) window.late += 1;
    if (event.ok) {
      const us = Math.max(0, Math.round((event.endMs - event.intendedMs) * 1000));
      window.histogram.recordValue(us);
      window.minUs = Math.min(window.minUs, us);
      window.maxUs = Math.max(window.maxUs, us);
    } else {
      window.failures += 1;
      addFailure(window.failureKinds, event.code, 1, event.message ?? event.code);
    }
  }

  /** Hands over everything recorded since the last drain (the windows themselves, no copy), and forgets it. */
  drain(): { windows: Window[]; warmupRequests: number } {
    const windows = [...this.windows.values()];
    const warmupRequests = this.warmup;
    this.windows = new Map();
    this.warmup = 0;
    return { windows, warmupRequests };
  }

  private window(atMs: number): Window {
    const second = Math.max(0, Math.floor((atMs - this.startMs) / 1000));
    let window = this.windows.get(second);
    if (!window) {
      window = newWindow(second);
      this.windows.set(second, window);
    }
    return window;
  }
}
