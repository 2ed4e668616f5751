import { setMaxListeners } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ModelshipError } from '../shared/errors.js';
import { systemClock } from './clock.js';
import { run as runClosed } from './models/closed.js';
import { run as runOpen } from './models/open.js';
import { createSender } from './senders/create-sender.js';
import type { Drained, ShardInit, ShardPort } from './shard-protocol.js';
import { Recorder } from './stats/recorder.js';

/**
 * One load thread: connects its sender, says 'ready', waits for 'go' with the common start time, runs its share
 * of the load model, and hands over its windows on every 'flush' and at the end.
 */
export async function runShard(init: ShardInit, port: ShardPort): Promise<void> {
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const abort = new AbortController();
  // Every user (and every request's deadline) waits on this one signal: hundreds of listeners are expected.
  setMaxListeners(0, abort.signal);
  let recorder: Recorder | undefined;
  const drain = (): Drained => {
    const drained = recorder?.drain() ?? { windows: [], warmupRequests: 0 };
    const delay = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
    loopDelay.reset();
    return { ...drained, loopDelay: delay };
  };
  let go: (startMs: number) => void = () => undefined;
  const started = new Promise<number>((resolve) => (go = resolve));
  port.onMessage((message) => {
    if (message.type === 'go') go(message.startMs);
    else if (message.type === 'flush') port.post({ type: 'flushed', drained: drain() });
    else abort.abort();
  });
  try {
    const sender = await createSender(init.sender);
    port.post({ type: 'ready' });
    const startMs = await started;
    recorder = new Recorder(startMs, startMs + init.warmupMs);
    const ctx = { startMs, shard: init.shard, send: sender.send, clock: systemClock, signal: abort.signal };
    const emit = recorder.record.bind(recorder);
    if (init.load.kind === 'open') await runOpen(init.load, ctx, emit);
    else await runClosed(init.load, ctx, emit);
    await sender.close();
    port.post({ type: 'done', drained: drain() });
  } catch (err) {
    const hint = err instanceof ModelshipError ? err.hint : undefined;
    port.post({ type: 'failed', message: (err as Error).message, ...(hint ? { hint } : {}) });
  } finally {
    loopDelay.disable();
    port.close();
  }
}
