import type { NewRun, Store } from './store.js';

/** What an idempotency key holds: the state of the work it guards, and what that work recorded. */
export interface OnceRecord extends Record<string, unknown> {
  state: 'running' | 'done' | 'failed';
  /** When the current attempt started (ISO time). */
  at: string;
}

/** The default for steps that finish in seconds (the webhook, bake submission, job launch: timeouts of 60–120 s). */
export const STALE_CLAIM_MS = 120_000;

export type OnceResult<R> =
  { duplicate: true; record: OnceRecord } | { duplicate: false; record: OnceRecord; result: R };

export interface OnceOptions {
  /** Recorded with the key from the start (e.g. the run id, which a retry keeps). */
  data?: Record<string, unknown>;
  /** A run document created atomically with the key. */
  run?: NewRun;
  /**
   * An attempt still `running` after this long is taken to have died (its function timed out or crashed), and the
   * next delivery takes it over. Longer than the step's function timeout. Default STALE_CLAIM_MS.
   */
  staleMs?: number;
  now?: () => Date;
}

/**
 * Runs `work` at most once per key across redeliveries and concurrent duplicates. The key is claimed before the
 * work (a Firestore create: one winner); `done` or in progress means duplicate. A failed attempt, or one that
 * died mid-way, is retried by the next delivery, keeping the data of the first claim (so the run id stays the same).
 * `work` receives the key's record; what it returns is stored with `state: done`. Its error is stored as `failed`
 * and thrown again.
 */
export async function runOnce<R extends Record<string, unknown>>(
  store: Store,
  key: string,
  options: OnceOptions,
  work: (record: OnceRecord) => Promise<R>,
): Promise<OnceResult<R>> {
  const now = (options.now ?? (() => new Date()))();
  const fresh: OnceRecord = { ...options.data, state: 'running', at: now.toISOString() };
  const claim = await store.claim(key, fresh, options.run);
  let record = claim.data;
  if (!claim.created) {
    const stale =
      record.state === 'running' && now.getTime() - Date.parse(record.at) > (options.staleMs ?? STALE_CLAIM_MS);
    const takeover: OnceRecord = { ...record, state: 'running', at: now.toISOString() };
    if (!(record.state === 'failed' || stale) || !(await store.reclaim(key, record, takeover))) {
      return { duplicate: true, record };
    }
    record = takeover;
  }
  try {
    const result = await work(record);
    await store.updateKey(key, { ...result, state: 'done' });
    return { duplicate: false, record: { ...record, ...result, state: 'done' }, result };
  } catch (err) {
    await store.updateKey(key, { state: 'failed' }).catch(() => undefined);
    throw err;
  }
}
