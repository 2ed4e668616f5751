import { TransientError } from './errors.js';
import type { NewRun, Store } from './store.js';

/** What an idempotency key holds: the state of the work it guards, and what that work recorded. */
export interface OnceRecord extends Record<string, unknown> {
  state: 'running' | 'done' | 'failed';
  /** When the current attempt started (ISO time). */
  at: string;
}

/** The default lease of a claim: the timeout of the shortest-lived functions that claim (60–120 s). */
export const STALE_CLAIM_MS = 120_000;

export type OnceResult<R> =
  { duplicate: true; record: OnceRecord } | { duplicate: false; record: OnceRecord; result: R };

/**
 * Another attempt holds the key and may still be alive. Transient: the message is not acknowledged, so Pub/Sub
 * delivers it again with backoff, and a later delivery takes the work over once the claim has expired. Acknowledging
 * it as a duplicate would lose the work whenever the holder had died.
 */
export class ClaimBusyError extends TransientError {
  override readonly name = 'ClaimBusyError';
}

export interface OnceOptions {
  /** Recorded with the key from the start (e.g. the run id, which a retry keeps). */
  data?: Record<string, unknown>;
  /** A run document created atomically with the key. */
  run?: NewRun;
  /**
   * The claim's lease: an attempt still `running` after this long is taken to have died, and the next delivery takes
   * it over. Equal to the function's timeout (Cloud Functions stops the attempt then), so that a dead attempt's claim
   * has expired by the time its message can be delivered again. Default STALE_CLAIM_MS.
   */
  staleMs?: number;
  /**
   * What a delivery that meets a live claim does: `retry` (the default) throws ClaimBusyError so the message comes
   * back; `duplicate` returns it as a duplicate (the webhook: GitHub does not redeliver, and concurrent deliveries of
   * one id must get an answer).
   */
  whenBusy?: 'retry' | 'duplicate';
  now?: () => Date;
}

/**
 * Runs `work` at most once per key across redeliveries and concurrent duplicates. The key is claimed before the
 * work (a Firestore create: one winner); `done` means duplicate. A failed attempt, or one whose claim has expired,
 * is retried by the next delivery, keeping the data of the first claim (so the run id stays the same).
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
  const staleMs = options.staleMs ?? STALE_CLAIM_MS;
  const fresh: OnceRecord = { ...options.data, state: 'running', at: now.toISOString() };
  const claim = await store.claim(key, fresh, options.run);
  let record = claim.data;
  if (!claim.created) {
    if (record.state === 'done') return { duplicate: true, record };
    const expiresAt = Date.parse(record.at) + staleMs;
    const takeover: OnceRecord = { ...record, state: 'running', at: now.toISOString() };
    const free = record.state === 'failed' || now.getTime() > expiresAt;
    if (!free || !(await store.reclaim(key, record, takeover))) {
      if ((options.whenBusy ?? 'retry') === 'duplicate') return { duplicate: true, record };
      const until = free ? 'now' : new Date(expiresAt).toISOString();
      throw new ClaimBusyError(
        `${key} is being worked on by an attempt that started at ${record.at}; this delivery will be retried, and takes the work over if that attempt has not finished by ${until}`,
      );
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
