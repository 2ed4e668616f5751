/** A pending request in the list: its deadline, its expiry, and its neighbours while it is in the list. */
interface Entry {
  readonly deadline: number;
  readonly expire: () => void;
  older: Entry | undefined;
  newer: Entry | undefined;
}

/**
 * Per-request timeouts without a timer per request: requests share one timeout, so they expire in the order
 * they started, and one sweep walks the list from its oldest entry. The list is linked through the entries and a
 * removed entry's links are cleared: a Set here (a hash table, rebuilt in the old generation as requests come and
 * go) kept finished requests reachable from its discarded tables, and the young-generation GC copied them over
 * and over, at times a quarter of the generator's CPU on tiny requests.
 */
export class Deadlines {
  private oldest: Entry | undefined;
  private newest: Entry | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number) {
    this.timer = setInterval(() => this.sweep(), Math.min(100, Math.max(5, timeoutMs / 10)));
    this.timer.unref();
  }

  /** Calls `expire` if the request is still pending after the timeout; the returned function cancels. */
  add(expire: () => void): () => void {
    const entry: Entry = { deadline: performance.now() + this.timeoutMs, expire, older: this.newest, newer: undefined };
    if (this.newest) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
    return () => this.remove(entry);
  }

  close(): void {
    clearInterval(this.timer);
    while (this.oldest) this.remove(this.oldest);
  }

  private remove(entry: Entry): void {
    if (entry.older) entry.older.newer = entry.newer;
    else if (this.oldest === entry) this.oldest = entry.newer;
    else return; // removed already: cancelled after it expired, or twice
    if (entry.newer) entry.newer.older = entry.older;
    else this.newest = entry.older;
    entry.older = entry.newer = undefined;
  }

  private sweep(): void {
    const now = performance.now();
    while (this.oldest && this.oldest.deadline <= now) {
      const entry = this.oldest;
      this.remove(entry);
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
