import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DATA, HEADERS, frame } from '../../../../loadtest/senders/h2-frames.js';
import { FrameReader } from '../../../../loadtest/senders/h2-frame-reader.js';
import { SLAB, WriteBatch } from '../../../../loadtest/senders/h2-write-batch.js';

/** A socket that records its writes: the chunks of one cork/uncork (one writev) together. */
function fakeSocket(): { socket: Socket; writes: Buffer[][] } {
  const writes: Buffer[][] = [];
  let corked: Buffer[] | undefined;
  const socket = Object.assign(new EventEmitter(), {
    destroyed: false,
    writableEnded: false,
    cork: () => (corked = []),
    uncork: () => (writes.push(corked!), (corked = undefined)),
    write: (chunk: Buffer) => (corked ? corked.push(chunk) : writes.push([chunk]), true),
  });
  return { socket: socket as unknown as Socket, writes };
}

const nextImmediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('WriteBatch', () => {
  it('writes the frames of one event-loop turn at once, in order, across new slabs, big payloads by reference', async () => {
    const { socket, writes } = fakeSocket();
    const batch = new WriteBatch(socket);
    const headers = frame(HEADERS, 4, 0, Buffer.alloc(50, 1));
    const big = Buffer.alloc(10_000, 7);
    const sent: { type: number; id: number; length: number }[] = [];
    // Enough frames of varied sizes to fill several 64 KB slabs, so each kind of write lands at a slab boundary.
    const payload = Buffer.alloc(64, 2);
    for (let id = 1; id < 4000; id += 2) {
      const n = id % 61;
      batch.frame(headers, id);
      batch.header(n, DATA, 1, id);
      batch.payload(payload, 0, n);
      sent.push({ type: HEADERS, id, length: 50 }, { type: DATA, id, length: n });
    }
    batch.header(big.length, DATA, 1, 2001);
    batch.payload(big, 0, big.length);
    sent.push({ type: DATA, id: 2001, length: big.length });
    expect(writes).toEqual([]);
    await nextImmediate();
    expect(writes).toHaveLength(1);
    const chunks = writes[0]!;
    expect(chunks.at(-1)!.buffer).toBe(big.buffer); // zero copy
    const seen: { type: number; id: number; length: number }[] = [];
    const reader = new FrameReader(1 << 24, (type, _flags, id, _buf, start, end) =>
      seen.push({ type, id, length: end - start }),
    );
    for (const chunk of chunks) reader.push(chunk);
    expect(seen).toEqual(sent);
  });

  it.each(['header', 'payload'])('starts a new slab for a %s that does not fit the rest of one', async (kind) => {
    const { socket, writes } = fakeSocket();
    const batch = new WriteBatch(socket);
    const filler = frame(DATA, 0, 1, Buffer.alloc(SLAB - 9 - 4)); // leaves 4 bytes
    batch.frame(filler);
    if (kind === 'header') batch.header(0, DATA, 1, 3);
    else batch.payload(Buffer.from('12345678'), 0, 8);
    await nextImmediate();
    const written = Buffer.concat(writes.flat());
    expect(written.subarray(0, filler.length)).toEqual(filler);
    const tail = kind === 'header' ? frame(DATA, 1, 3) : Buffer.from('12345678');
    expect(written.subarray(filler.length)).toEqual(tail);
  });

  it('writes nothing to a socket that has ended', async () => {
    const { socket, writes } = fakeSocket();
    const batch = new WriteBatch(socket);
    batch.frame(frame(DATA, 0, 1));
    (socket as unknown as { writableEnded: boolean }).writableEnded = true;
    await nextImmediate();
    expect(writes).toEqual([]);
  });
});
