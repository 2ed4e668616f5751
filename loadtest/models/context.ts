import type { Clock } from '../clock.js';
import type { SendResult } from '../senders/sender.js';
import type { Shard } from '../shard-split.js';

/**
 * What a load model runs with. A run is split into shards (one per thread, of every task): shard i of n takes every n-th
 * request (open) or every n-th user (closed) of the one global plan, so the merged load is exactly the plan.
 */
export interface ModelContext {
  /** Epoch ms of the plan's time 0. */
  readonly startMs: number;
  readonly shard: Shard;
  readonly send: () => Promise<SendResult>;
  readonly clock: Clock;
  /** Aborted to stop early (failure ratio passed, interrupted). */
  readonly signal: AbortSignal;
}
