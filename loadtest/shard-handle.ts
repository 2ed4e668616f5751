import { Worker } from 'node:worker_threads';
import { fromWire, type FromShard, type ShardInit, type ToShard } from './shard-protocol.js';
import type { EncodedWindow } from './stats/window.js';
import { runShard } from './shard.js';

/** The engine's end of a shard, whether it runs in a worker thread or in the main thread. */
export interface ShardHandle {
  send(message: ToShard): void;
  onMessage(handler: (message: FromShard) => void): void;
  terminate(): Promise<void>;
}

export function workerShard(init: ShardInit, execArgv?: string[]): ShardHandle {
  const worker = new Worker(new URL('./worker.js', import.meta.url), {
    workerData: init,
    ...(execArgv ? { execArgv } : {}),
  });
  return {
    send: (message) => worker.postMessage(message),
    onMessage(handler) {
      let ended = false;
      const pass = (message: FromShard): void => {
        ended ||= message.type === 'done' || message.type === 'failed';
        handler(message);
      };
      worker.on('message', (message: FromShard<EncodedWindow>) => pass(fromWire(message)));
      worker.on('error', (err) => pass({ type: 'failed', message: `load thread ${init.shard.index}: ${err.message}` }));
      // A thread that exits without a word (process.exit in it) would leave the engine waiting for it forever.
      worker.on('exit', (code) => {
        if (!ended)
          pass({ type: 'failed', message: `load thread ${init.shard.index} exited (code ${code}) before it finished` });
      });
    },
    terminate: async () => void (await worker.terminate()),
  };
}

/** `--workers 0`: the shard runs on the engine's own event loop; messages still go through the queue. */
export function inProcessShard(init: ShardInit): ShardHandle {
  let toEngine: (message: FromShard) => void = () => undefined;
  let toShard: (message: ToShard) => void = () => undefined;
  const pending: FromShard[] = [];
  void runShard(init, {
    post: (message) => queueMicrotask(() => (pending.push(message), flush())),
    onMessage: (handler) => (toShard = handler),
    close: () => undefined,
  });
  let attached = false;
  const flush = (): void => {
    if (attached) for (const message of pending.splice(0)) toEngine(message);
  };
  return {
    send: (message) => queueMicrotask(() => toShard(message)),
    onMessage(handler) {
      toEngine = handler;
      attached = true;
      flush();
    },
    terminate: async () => toShard({ type: 'stop' }),
  };
}
