import type { Shard } from './shard-split.js';
import type { ClosedConfig } from './models/closed.js';
import type { OpenConfig } from './models/open.js';
import { decodeWindow, encodeWindow, type EncodedWindow, type Window } from './stats/window.js';
import type { SenderSpec } from './senders/create-sender.js';

/** What one load thread (a shard) is given: the whole plan, its share of it, and how to send. */
export interface ShardInit {
  readonly load: OpenConfig | ClosedConfig;
  readonly shard: Shard;
  readonly sender: SenderSpec;
  /** Offset from the start at which statistics begin (the end of the warmup). */
  readonly warmupMs: number;
}

export interface Drained<W = Window> {
  readonly windows: W[];
  readonly warmupRequests: number;
  /** The thread's event-loop delay since the last report, in ms. */
  readonly loopDelay: { readonly p99: number; readonly max: number };
}

export type ToShard = { type: 'go'; startMs: number } | { type: 'flush' } | { type: 'stop' };
export type FromShard<W = Window> =
  | { type: 'ready' }
  | { type: 'flushed'; drained: Drained<W> }
  | { type: 'done'; drained: Drained<W> }
  | { type: 'failed'; message: string; hint?: string };

/** Either a worker thread's port or an in-process pair: the shard code is the same. */
export interface ShardPort {
  post(message: FromShard): void;
  onMessage(handler: (message: ToShard) => void): void;
  close(): void;
}

/**
 * A shard's message as it crosses a worker boundary (postMessage), its windows' histograms encoded. A shard on the
 * main thread hands its windows over as they are: encoding and decoding them every second, for nothing, was a
 * good part of the per-second statistics' CPU (and of the JIT's work compiling it).
 */
export function toWire(message: FromShard): FromShard<EncodedWindow> {
  if (message.type !== 'flushed' && message.type !== 'done') return message;
  return { ...message, drained: { ...message.drained, windows: message.drained.windows.map(encodeWindow) } };
}

export function fromWire(message: FromShard<EncodedWindow>): FromShard {
  if (message.type !== 'flushed' && message.type !== 'done') return message;
  return { ...message, drained: { ...message.drained, windows: message.drained.windows.map(decodeWindow) } };
}
