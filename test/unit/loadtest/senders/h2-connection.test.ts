import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { H2Connection, type H2ConnectionOptions } from '../../../../loadtest/senders/h2-connection.js';
import * as h2 from '../../../../loadtest/senders/h2-frames.js';
import { h2Request } from '../../../../loadtest/senders/h2-request.js';
import type { H2Stream } from '../../../../loadtest/senders/h2-stream.js';
import { encodeHeaderBlock } from '../../../../loadtest/senders/hpack-encoder.js';
import { scriptedServers, type ScriptedPeer } from './scripted-h2-peer.js';

const server = scriptedServers();
const connections: H2Connection[] = [];
afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.close()));
});

function connect(port: number, options: Partial<H2ConnectionOptions> = {}): H2Connection {
  const connection = new H2Connection({
    host: '127.0.0.1',
    port,
    authority: `test:${port}`,
    connectTimeoutMs: 10_000,
    ...options,
  });
  connections.push(connection);
  return connection;
}

/** A connection to a scripted peer that has sent its SETTINGS (`settings`), ready for requests. */
async function opened(
  settings: [number, number][] = [],
  options: Partial<H2ConnectionOptions> = {},
): Promise<{ connection: H2Connection; peer: ScriptedPeer }> {
  const { port, accept } = await server();
  const connection = connect(port, options);
  const peer = await accept();
  peer.settings(settings);
  await connection.ready;
  return { connection, peer };
}

const fields: [string, string][] = [
  [':method', 'POST'],
  [':scheme', 'http'],
  [':path', '/x/y'],
  [':authority', 'test'],
];

/** Sends a request; `done` settles when the connection calls back. */
function send(connection: H2Connection, body: Buffer, keep = true): { stream: H2Stream; done: Promise<H2Stream> } {
  let resolve: (s: H2Stream) => void = () => undefined;
  const done = new Promise<H2Stream>((r) => (resolve = r));
  const stream = connection.request(h2Request(fields, body), keep, resolve);
  return { stream, done };
}

const okHeaders: [string, string][] = [
  [':status', '200'],
  ['content-type', 'application/grpc'],
];
/** A whole response: headers, one DATA frame, trailers. */
function respond(peer: ScriptedPeer, id: number, body = Buffer.from('reply')): void {
  peer.headers(id, okHeaders);
  peer.send(h2.DATA, 0, id, body);
  peer.headers(id, [['grpc-status', '0']], h2.END_HEADERS | h2.END_STREAM);
}
const settingsOf = (payload: Buffer): [number, number][] =>
  Array.from({ length: payload.length / 6 }, (_, i) => [payload.readUInt16BE(6 * i), payload.readUInt32BE(6 * i + 2)]);
const u32 = (n: number): Buffer => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const dataOf = (peer: ScriptedPeer, id: number): number[] => peer.of(h2.DATA, id).map((f) => f.payload.length);
let pings = 0;
/** Waits until the client has handled every frame sent so far: it answers frames in order, so a PING's ACK is last. */
async function barrier(peer: ScriptedPeer): Promise<void> {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE((pings += 1));
  peer.send(h2.PING, 0, 0, payload);
  await peer.next((f) => f.type === h2.PING && f.payload.equals(payload), 'PING ACK');
}
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

describe('H2Connection: the connection', () => {
  it('opens with our SETTINGS and a connection WINDOW_UPDATE, and holds requests until the peer SETTINGS', async () => {
    const { port, accept } = await server();
    const connection = connect(port);
    const { done } = send(connection, Buffer.from('hello'));
    const peer = await accept();
    const settings = await peer.next((f) => f.type === h2.SETTINGS, 'SETTINGS');
    expect(settingsOf(settings.payload)).toEqual([
      [h2.SETTINGS_ENABLE_PUSH, 0],
      [h2.SETTINGS_INITIAL_WINDOW_SIZE, 64 * 1024 * 1024],
      [h2.SETTINGS_MAX_FRAME_SIZE, 2 ** 24 - 1],
    ]);
    const update = await peer.next((f) => f.type === h2.WINDOW_UPDATE, 'WINDOW_UPDATE');
    expect(update).toMatchObject({ id: 0, payload: u32(64 * 1024 * 1024 - 65_535) });
    expect(peer.of(h2.HEADERS)).toEqual([]);
    peer.settings();
    const data = await peer.next((f) => f.type === h2.DATA, 'DATA');
    expect(data).toMatchObject({ id: 1, flags: h2.END_STREAM, payload: Buffer.from('hello') });
    expect(peer.of(h2.HEADERS)[0]).toMatchObject({ id: 1, flags: h2.END_HEADERS, payload: encodeHeaderBlock(fields) });
    await peer.next((f) => f.type === h2.SETTINGS && f.flags === h2.ACK, 'SETTINGS ACK');
    respond(peer, 1);
    const stream = await done;
    expect(stream).toMatchObject({ status: 200, received: 5, error: undefined });
    expect(stream.fields).toEqual(['content-type', 'application/grpc', 'grpc-status', '0']);
    expect(Buffer.concat(stream.chunks!)).toEqual(Buffer.from('reply'));
  });

  it('reads a header block continued in CONTINUATION frames, padded frames and a PRIORITY flag', async () => {
    const { connection, peer } = await opened();
    const { done } = send(connection, Buffer.from('x'));
    await peer.next((f) => f.type === h2.DATA, 'DATA');
    const block = encodeHeaderBlock([...okHeaders, ['x-long', 'v'.repeat(100)]]);
    peer.send(h2.HEADERS, 0, 1, block.subarray(0, 10));
    peer.send(h2.CONTINUATION, 0, 1, block.subarray(10, 50));
    peer.send(h2.CONTINUATION, h2.END_HEADERS, 1, block.subarray(50));
    const padded = (payload: Buffer, pad: number): Buffer =>
      Buffer.concat([Buffer.from([pad]), payload, Buffer.alloc(pad)]);
    peer.send(h2.DATA, h2.PADDED, 1, padded(Buffer.from('abc'), 7));
    peer.send(h2.PRIORITY, 0, 1, Buffer.alloc(5));
    peer.send(0xfa, 0, 0, Buffer.from('an extension frame'));
    const trailers = encodeHeaderBlock([['grpc-status', '0']]);
    const withPriority = Buffer.concat([Buffer.from([2]), Buffer.alloc(5), trailers, Buffer.alloc(2)]);
    peer.send(h2.HEADERS, h2.END_HEADERS | h2.END_STREAM | h2.PADDED | h2.PRIORITY_FLAG, 1, withPriority);
    const stream = await done;
    expect(stream).toMatchObject({ status: 200, received: 3, error: undefined });
    expect(stream.field('x-long')).toBe('v'.repeat(100));
    expect(stream.field('grpc-status')).toBe('0');
    expect(Buffer.concat(stream.chunks!)).toEqual(Buffer.from('abc'));
  });

  it("keeps a reply's DATA whole when the next read reuses the connection's read buffer", async () => {
    const { connection, peer } = await opened();
    const { done } = send(connection, Buffer.from('x'));
    await peer.next((f) => f.type === h2.DATA, 'DATA');
    peer.headers(1, okHeaders);
    peer.send(h2.DATA, 0, 1, Buffer.from('first'));
    await barrier(peer); // the client has read 'first'; what comes next lands in the same read buffer
    peer.send(h2.DATA, 0, 1, Buffer.from('SECOND'));
    peer.headers(1, [['grpc-status', '0']], h2.END_HEADERS | h2.END_STREAM);
    const stream = await done;
    expect(Buffer.concat(stream.chunks!).toString()).toBe('firstSECOND');
  });

  it('answers PING with a PING ACK of the same bytes', async () => {
    const { peer } = await opened();
    peer.send(h2.PING, 0, 0, Buffer.from('12345678'));
    const ack = await peer.next((f) => f.type === h2.PING, 'PING ACK');
    expect(ack).toMatchObject({ flags: h2.ACK, id: 0, payload: Buffer.from('12345678') });
  });

  it('returns received DATA with WINDOW_UPDATEs once half a window is used, for the connection and the stream', async () => {
    const { connection, peer } = await opened([], { windowSize: 1000 });
    const { done } = send(connection, Buffer.from('x'), false);
    await peer.next((f) => f.type === h2.DATA, 'DATA');
    peer.headers(1, okHeaders);
    peer.send(h2.DATA, 0, 1, Buffer.alloc(300));
    peer.send(h2.DATA, 0, 1, Buffer.alloc(300));
    const updates = await Promise.all([
      peer.next((f) => f.type === h2.WINDOW_UPDATE && f.id === 0 && f.payload.readUInt32BE() === 600, 'connection'),
      peer.next((f) => f.type === h2.WINDOW_UPDATE && f.id === 1, 'stream WINDOW_UPDATE'),
    ]);
    expect(updates[1].payload.readUInt32BE()).toBe(600);
    peer.send(h2.DATA, h2.END_STREAM, 1, Buffer.alloc(100));
    expect(await done).toMatchObject({ received: 700, chunks: undefined });
  });
});

describe('H2Connection: sending within the peer limits', () => {
  it('splits DATA at SETTINGS_MAX_FRAME_SIZE and sends no more than the stream window allows', async () => {
    const { connection, peer } = await opened([[h2.SETTINGS_INITIAL_WINDOW_SIZE, 100]]);
    const body = Buffer.alloc(50_000, 1);
    send(connection, body);
    await barrier(peer);
    expect(dataOf(peer, 1)).toEqual([100]);
    peer.send(h2.WINDOW_UPDATE, 0, 1, u32(20_000));
    await peer.next((f) => f.type === h2.DATA && f.payload.length === 3_616, 'the rest of the window');
    expect(dataOf(peer, 1)).toEqual([100, 16_384, 3_616]);
    peer.send(h2.WINDOW_UPDATE, 0, 1, u32(100_000));
    const last = await peer.next((f) => f.type === h2.DATA && (f.flags & h2.END_STREAM) !== 0, 'END_STREAM');
    expect(last.payload.length).toBe(50_000 - 20_100 - 16_384);
    expect(Buffer.concat(peer.of(h2.DATA, 1).map((f) => f.payload))).toEqual(body);
  });

  it('sends bodies far larger than its 1 MB write backlog whole and in order, resuming as the socket drains', async () => {
    const { connection, peer } = await opened([
      [h2.SETTINGS_INITIAL_WINDOW_SIZE, h2.MAX_WINDOW],
      [h2.SETTINGS_MAX_FRAME_SIZE, h2.MAX_FRAME_SIZE],
    ]);
    peer.send(h2.WINDOW_UPDATE, 0, 0, u32(h2.MAX_WINDOW - 65_535));
    const body = Buffer.from(Array.from({ length: 6 << 20 }, (_, i) => i % 253));
    send(connection, body);
    send(connection, body);
    await peer.next((f) => f.type === h2.DATA && f.id === 3 && (f.flags & h2.END_STREAM) !== 0, 'the second body');
    for (const id of [1, 3]) expect(Buffer.concat(peer.of(h2.DATA, id).map((f) => f.payload)).equals(body)).toBe(true);
    expect(Math.max(...peer.of(h2.DATA).map((f) => f.payload.length))).toBeLessThanOrEqual(1 << 20);
  });

  it('waits on the connection window, and moves open streams when SETTINGS_INITIAL_WINDOW_SIZE changes', async () => {
    const { connection, peer } = await opened([
      [h2.SETTINGS_INITIAL_WINDOW_SIZE, 0],
      [h2.SETTINGS_MAX_FRAME_SIZE, 2 ** 20],
    ]);
    send(connection, Buffer.alloc(100_000, 2));
    send(connection, Buffer.alloc(10, 3));
    await barrier(peer);
    expect(peer.of(h2.HEADERS).map((f) => f.id)).toEqual([1, 3]);
    expect(peer.of(h2.DATA)).toEqual([]);
    peer.settings([[h2.SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20]]);
    await barrier(peer);
    // The connection window (65,535) is the limit now: stream 1 takes it all, oldest first.
    expect(sum(dataOf(peer, 1))).toBe(65_535);
    expect(dataOf(peer, 3)).toEqual([]);
    peer.send(h2.WINDOW_UPDATE, 0, 0, u32(40_000));
    await peer.next((f) => f.type === h2.DATA && f.id === 3, 'stream 3 DATA');
    expect(sum(dataOf(peer, 1))).toBe(100_000);
    expect(dataOf(peer, 3)).toEqual([10]);
  });

  it('opens no more streams than SETTINGS_MAX_CONCURRENT_STREAMS, the next when one ends', async () => {
    const { connection, peer } = await opened([[h2.SETTINGS_MAX_CONCURRENT_STREAMS, 1]]);
    const first = send(connection, Buffer.from('1'));
    const second = send(connection, Buffer.from('2'));
    await barrier(peer);
    expect(peer.of(h2.HEADERS).map((f) => f.id)).toEqual([1]);
    respond(peer, 1);
    await first.done;
    await peer.next((f) => f.type === h2.DATA && f.id === 3, 'DATA 3');
    respond(peer, 3);
    expect((await second.done).error).toBeUndefined();
  });
});

describe('H2Connection: failures, each with its message', () => {
  it('fails a stream the server resets, naming the code', async () => {
    const { connection, peer } = await opened();
    const { done } = send(connection, Buffer.from('x'));
    await peer.next((f) => f.type === h2.DATA, 'DATA');
    peer.send(h2.RST_STREAM, 0, 1, u32(7));
    expect((await done).error).toBe('the server reset the stream: RST_STREAM REFUSED_STREAM (7)');
    expect(connection.accepting).toBe(true);
  });

  it('on GOAWAY fails the streams above its last id, finishes the others, then closes', async () => {
    const { connection, peer } = await opened();
    const streams = [1, 2, 3].map(() => send(connection, Buffer.from('x')));
    await peer.next((f) => f.type === h2.DATA && f.id === 5, 'DATA 5');
    peer.send(h2.GOAWAY, 0, 0, Buffer.concat([u32(3), u32(0), Buffer.from('shutting down')]));
    const refused = await streams[2]!.done;
    expect(refused.error).toBe('the server sent GOAWAY NO_ERROR (0): shutting down; it did not process this request');
    expect(connection.accepting).toBe(false);
    respond(peer, 1);
    respond(peer, 3);
    expect((await streams[0]!.done).error).toBeUndefined();
    expect((await streams[1]!.done).error).toBeUndefined();
    await new Promise((resolve) => peer.socket.once('end', resolve));
  });

  it.each([
    ['DATA on stream 0', (p: ScriptedPeer) => p.send(h2.DATA, 0, 0, Buffer.from('x')), 1, 'DATA on stream 0'],
    ['a PUSH_PROMISE', (p: ScriptedPeer) => p.send(h2.PUSH_PROMISE, 4, 1, Buffer.alloc(4)), 1, 'PUSH_PROMISE'],
    ['a bad HPACK block', (p: ScriptedPeer) => p.send(h2.HEADERS, 4, 1, Buffer.from([0x80])), 9, 'index 0'],
    ['a PING of 3 bytes', (p: ScriptedPeer) => p.send(h2.PING, 0, 0, Buffer.alloc(3)), 6, 'PING of 8 bytes'],
    [
      'a frame between HEADERS and its CONTINUATION',
      (p: ScriptedPeer) => (p.send(h2.HEADERS, 0, 1, Buffer.from([0x88])), p.send(h2.PING, 0, 0, Buffer.alloc(8))),
      1,
      'a CONTINUATION frame on stream 1',
    ],
  ])('answers %s with GOAWAY and fails every stream with the reason', async (_what, misbehave, code, reason) => {
    const { connection, peer } = await opened();
    const { done } = send(connection, Buffer.from('x'));
    await peer.next((f) => f.type === h2.DATA, 'DATA');
    misbehave(peer);
    const goaway = await peer.next((f) => f.type === h2.GOAWAY, 'GOAWAY');
    expect(goaway.payload.readUInt32BE(4)).toBe(code);
    const { error } = await done;
    expect(error).toMatch(/^HTTP\/2 connection to test:\d+ \(127\.0\.0\.1\): HTTP\/2 protocol error: /);
    expect(error).toContain(reason);
    expect(connection.accepting).toBe(false);
  });

  it('fails in-flight and waiting streams when the connection is lost', async () => {
    const { connection, peer } = await opened([[h2.SETTINGS_MAX_CONCURRENT_STREAMS, 1]]);
    const first = send(connection, Buffer.from('1'));
    const second = send(connection, Buffer.from('2'));
    await peer.next((f) => f.type === h2.DATA, 'DATA');
    peer.socket.destroy();
    for (const { done } of [first, second])
      expect((await done).error).toMatch(
        /^HTTP\/2 connection to test:\d+ \(127\.0\.0\.1\): the server closed the connection$/,
      );
    expect(connection.accepting).toBe(false);
  });

  it('resets an abandoned stream with RST_STREAM CANCEL and never calls it back', async () => {
    const { connection, peer } = await opened();
    let called = false;
    const stream = connection.request(h2Request(fields, Buffer.from('x')), false, () => (called = true));
    await peer.next((f) => f.type === h2.DATA, 'DATA');
    connection.reset(stream);
    const rst = await peer.next((f) => f.type === h2.RST_STREAM, 'RST_STREAM');
    expect(rst).toMatchObject({ id: 1, payload: u32(h2.CANCEL) });
    respond(peer, 1);
    const { done } = send(connection, Buffer.from('y'));
    await peer.next((f) => f.type === h2.DATA && f.id === 3, 'DATA 3');
    respond(peer, 3);
    await done;
    expect(called).toBe(false);
  });

  it('says so when the server answers in HTTP/1.1, or sends no SETTINGS in time', async () => {
    const { port, accept } = await server();
    const http1 = connect(port);
    (await accept()).socket.write('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    await expect(http1.ready).rejects.toThrow(
      'expected an HTTP/2 SETTINGS frame first, found "HTTP/1.1 400 Bad Request',
    );
    const silent = connect(port, { connectTimeoutMs: 100 });
    await accept();
    await expect(silent.ready).rejects.toThrow('no HTTP/2 SETTINGS from the server within 100 ms');
    // The code says it may pass on its own (a server still starting): untilConnected retries it. Not an HTTP/1.1
    // answer, which will not change.
    await expect(silent.ready).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(http1.ready).rejects.not.toHaveProperty('code');
  });

  it("fails `ready` with the socket's code when nothing listens", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    await expect(connect(port).ready).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
