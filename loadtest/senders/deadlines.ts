/**
 * Per-request timeouts without a timer per request: requests share one timeout, so they expire in the order
 * they started, and one sweep walks the insertion-ordered set from its oldest entry.
 */
export class Deadlines {
  private readonly entries = new Set<{ deadline: number; expire: () => void }>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number) {
    this.timer = setInterval(() => this.sweep(), Math.min(100, Math.max(5, timeoutMs / 10)));
    this.timer.unref();
  }

  /** Calls `expire` if the request is still pending after the timeout; the returned function cancels. */
  add(expire: () => void): () => void {
    const entry = { deadline: performance.now() + this.timeoutMs, expire };
    this.entries.add(entry);
    return () => this.entries.delete(entry);
  }

  close(): void {
    clearInterval(this.timer);
    this.entries.clear();
  }

  private sweep(): void {
    const now = performance.now();
    for (const entry of this.entries) {
      if (entry.deadline > now) break;
      this.entries.delete(entry);
      entry.expire();
    }
  }
}

/** The code of a request whose deadline passed. */
export const TIMEOUT_CODE = 'timeout';

/** The failure of a request whose deadline passed. */
export function timeoutFailure(timeoutMs: number): { code: string; message: string } {
  return { code: TIMEOUT_CODE, message: `no reply within ${timeoutMs} ms` };
}
