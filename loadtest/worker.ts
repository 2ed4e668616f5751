import { parentPort, workerData } from 'node:worker_threads';
import { toWire, type ShardInit, type ToShard } from './shard-protocol.js';
import { runShard } from './shard.js';

/** The worker thread's entry: a shard on the thread's port. Started by the engine, never imported. */
const port = parentPort;
if (port) {
  await runShard(workerData as ShardInit, {
    post: (message) => port.postMessage(toWire(message)),
    onMessage: (handler) => port.on('message', (message: ToShard) => handler(message)),
    close: () => port.close(),
  });
}
