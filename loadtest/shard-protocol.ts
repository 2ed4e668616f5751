import type { Shard } from './shard-split.js';
import type { ClosedConfig } from './models/closed.js';
import type { OpenConfig } from './models/open.js';
import type { EncodedWindow } from './stats/window.js';
import type { SenderSpec } from './senders/create-sender.js';

/** What one load thread (a shard) is given: the whole plan, its share of it, and how to send. */
export interface ShardInit {
  readonly load: OpenConfig | ClosedConfig;
  readonly shard: Shard;
  readonly sender: SenderSpec;
  /** Offset from the start at which statistics begin (the end of the warmup). */
  readonly warmupMs: number;
}

export interface Drained {
  readonly windows: EncodedWindow[];
  readonly warmupRequests: number;
  /** The thread's event-loop delay since the last report, in ms. */
  readonly loopDelay: { readonly p99: number; readonly max: number };
}

export type ToShard = { type: 'go'; startMs: number } | { type: 'flush' } | { type: 'stop' };
export type FromShard =
  | { type: 'ready' }
  | { type: 'flushed'; drained: Drained }
  | { type: 'done'; drained: Drained }
  | { type: 'failed'; message: string; hint?: string };

/** Either a worker thread's port or an in-process pair: the shard code is the same. */
export interface ShardPort {
  post(message: FromShard): void;
  onMessage(handler: (message: ToShard) => void): void;
  close(): void;
}
