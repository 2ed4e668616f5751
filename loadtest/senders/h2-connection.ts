import net from 'node:net';
import * as h2 from './h2-frames.js';
import { FrameReader } from './h2-frame-reader.js';
import { HeaderBlocks } from './h2-header-blocks.js';
import { H2Outbound } from './h2-outbound.js';
import { OpenStreams } from './h2-open-streams.js';
import type { H2Request } from './h2-request.js';
import { H2Stream } from './h2-stream.js';

export interface H2ConnectionOptions {
  /** The address to connect to, and the host:port named in messages. */
  readonly host: string;
  readonly port: number;
  readonly authority: string;
  /** Our receive window, per stream and for the connection: large, so replies do not wait for WINDOW_UPDATEs. */
  readonly windowSize?: number;
  /** How long the TCP connection and the server's first SETTINGS may take: the sender's --timeout. */
  readonly connectTimeoutMs: number;
}

const WINDOW = 64 * 1024 * 1024;
/** What one read from the socket takes at most: node's own default. */
const READ_BUFFER = 64 * 1024;
const LAST_STREAM_ID = 2 ** 31 - 1;
const SETTINGS_ACK = h2.frame(h2.SETTINGS, h2.ACK, 0);

/**
 * A minimal HTTP/2 client connection over a plain socket, for unary requests (as h2load does): the preface and
 * our SETTINGS (large windows, the largest frames accepted, no push), requests as pre-encoded HEADERS frames and
 * DATA within the peer's limits (H2Outbound), responses parsed in place. It honours the peer's SETTINGS, answers
 * PINGs, returns received DATA with batched WINDOW_UPDATEs, and fails what it must, with a message, on
 * RST_STREAM, GOAWAY, a protocol error or a lost connection. Requests wait locally for the peer's first SETTINGS
 * and for a free stream under its SETTINGS_MAX_CONCURRENT_STREAMS.
 */
export class H2Connection {
  /** Settles when the peer's first SETTINGS arrives (it speaks HTTP/2), or the connection fails first. */
  readonly ready: Promise<void>;
  private readonly socket: net.Socket;
  private readonly out: H2Outbound;
  private readonly reader: FrameReader;
  private readonly blocks: HeaderBlocks;
  private readonly where: string;
  private readonly localWindow: number;
  private readonly streams = new OpenStreams();
  /** Not yet opened: before the peer's SETTINGS, or while its concurrent-stream limit is reached. */
  private readonly waiting: H2Stream[] = [];
  private nextId = 1;
  private firstChunk = true;
  private settingsSeen = false;
  private maxStreams = Infinity;
  /** DATA bytes received since our last connection-level WINDOW_UPDATE. */
  private unacked = 0;
  private goaway: string | undefined;
  private failure: string | undefined;
  private settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private readonly connectTimer: NodeJS.Timeout;

  constructor(options: H2ConnectionOptions) {
    this.where = `${options.authority} (${options.host})`;
    this.localWindow = options.windowSize ?? WINDOW;
    this.ready = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.ready.catch(() => undefined); // a replacement connection's failure reaches its streams instead
    // Reads land in one buffer of the connection's, handed to us in place (net's onread): no stream machinery and
    // no new buffer per read, which were much of the per-read cost at high request rates. Whatever must outlive
    // a read (a kept reply's DATA, a header block continued in CONTINUATIONs, a frame split across reads) is copied.
    const reads = Buffer.allocUnsafe(READ_BUFFER);
    this.socket = net.connect({
      host: options.host,
      port: options.port,
      noDelay: true,
      onread: { buffer: reads, callback: (n) => (this.read(reads.subarray(0, n)), true) },
    });
    this.out = new H2Outbound(this.socket);
    this.blocks = new HeaderBlocks((id, flags, fields) => this.onHeaderBlock(id, flags, fields));
    this.reader = new FrameReader(h2.MAX_FRAME_SIZE, (type, flags, id, buf, start, end) =>
      this.onFrame(type, flags, id, buf, start, end),
    );
    const noSettings = `no HTTP/2 SETTINGS from the server within ${options.connectTimeoutMs} ms`;
    // The codes say what may pass on its own (untilConnected retries those): a server not listening yet, or not
    // speaking yet.
    this.connectTimer = setTimeout(() => this.fail(noSettings, { code: 'ETIMEDOUT' }), options.connectTimeoutMs);
    this.connectTimer.unref();
    this.socket.on('error', (err: NodeJS.ErrnoException) =>
      this.fail(`${err.code ?? 'error'}: ${err.message}`, { code: err.code }),
    );
    this.socket.on('close', () => this.fail('the server closed the connection', { code: 'ECONNRESET' }));
    const { batch } = this.out;
    batch.frame(h2.PREFACE);
    batch.frame(
      h2.settingsFrame([
        [h2.SETTINGS_ENABLE_PUSH, 0],
        [h2.SETTINGS_INITIAL_WINDOW_SIZE, this.localWindow],
        [h2.SETTINGS_MAX_FRAME_SIZE, h2.MAX_FRAME_SIZE],
      ]),
    );
    if (this.localWindow > h2.DEFAULT_WINDOW)
      batch.frame(h2.windowUpdateFrame(0, this.localWindow - h2.DEFAULT_WINDOW));
  }

  /** False once the connection failed, the peer sent GOAWAY or the stream ids ran out: use a new connection. */
  get accepting(): boolean {
    return this.failure === undefined && this.goaway === undefined;
  }

  /** Sends the request on a new stream (or queues it); `done` is called when its response ends or it fails. */
  request(request: H2Request, keep: boolean, done: (stream: H2Stream) => void): H2Stream {
    if (!this.accepting) throw new Error(`HTTP/2 connection to ${this.where} no longer accepts requests`);
    const stream = new H2Stream(request, keep, done);
    this.waiting.push(stream);
    this.admit();
    return stream;
  }

  /** Abandons a stream (its deadline passed): RST_STREAM CANCEL if it was opened; `done` is not called. */
  reset(stream: H2Stream): void {
    if (stream.finished) return;
    stream.finished = true;
    if (stream.id === 0) {
      this.waiting.splice(this.waiting.indexOf(stream), 1);
      return;
    }
    this.streams.delete(stream.id);
    if (this.failure === undefined) this.out.batch.frame(h2.rstStreamFrame(stream.id, h2.CANCEL));
    this.afterStream();
  }

  /** Sends GOAWAY and closes; streams still open fail. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.fail('the load tester closed the connection', { goaway: h2.goawayFrame(0, h2.NO_ERROR) });
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }

  private read(chunk: Buffer): void {
    try {
      // A server that is not HTTP/2 (an HTTP/1.1 port) answers with text: say so instead of waiting for a frame.
      if (this.firstChunk && chunk.length > 3 && chunk[3] !== h2.SETTINGS)
        throw h2.protocolError('an HTTP/2 SETTINGS frame first', JSON.stringify(chunk.toString('latin1', 0, 40)));
      this.firstChunk = false;
      this.reader.push(chunk);
    } catch (err) {
      // A peer's violation, or (never expected) a fault of ours while handling its frames: either ends it all.
      const violation = err instanceof h2.H2ProtocolError;
      const message = (err as Error).message;
      const goaway = h2.goawayFrame(0, violation ? err.code : h2.INTERNAL_ERROR, message.slice(0, 200));
      this.fail(`${violation ? 'HTTP/2 protocol error' : 'internal error'}: ${message}`, { goaway });
    }
  }

  private onFrame(type: number, flags: number, id: number, buf: Buffer, start: number, end: number): void {
    if (!this.settingsSeen && type !== h2.SETTINGS) throw h2.protocolError("the server's SETTINGS first", `${type}`);
    this.blocks.checkNext(type, h2.CONTINUATION);
    if (type === h2.DATA) this.onData(flags, id, buf, start, end);
    else if (type === h2.HEADERS) this.blocks.headers(flags, id, buf, start, end);
    else if (type === h2.CONTINUATION) this.blocks.continuation(flags, id, buf, start, end);
    else if (type === h2.SETTINGS) this.onSettings(flags, buf, start, end);
    else if (type === h2.WINDOW_UPDATE) {
      if (end - start !== 4) throw h2.frameSizeError('WINDOW_UPDATE', '4', end - start);
      const increment = buf.readUInt32BE(start) & 0x7fffffff;
      if (increment === 0) throw h2.protocolError('a WINDOW_UPDATE increment > 0', '0');
      const stream = this.streams.get(id);
      if (id === 0 || stream) this.out.grow(stream, increment);
    } else if (type === h2.RST_STREAM) {
      if (end - start !== 4) throw h2.frameSizeError('RST_STREAM', '4', end - start);
      const stream = this.streams.get(id);
      const code = h2.errorName(buf.readUInt32BE(start));
      if (stream) this.finish(stream, `the server reset the stream: RST_STREAM ${code}`);
    } else if (type === h2.PING) {
      if (end - start !== 8) throw h2.frameSizeError('PING', '8', end - start);
      if ((flags & h2.ACK) === 0) this.out.batch.frame(h2.frame(h2.PING, h2.ACK, 0, buf.subarray(start, end)));
    } else if (type === h2.GOAWAY) this.onGoaway(buf, start, end);
    else if (type === h2.PUSH_PROMISE) throw h2.protocolError('no PUSH_PROMISE (we sent ENABLE_PUSH 0)', 'one');
    // PRIORITY and unknown frame types are ignored, as RFC 9113 asks.
  }

  private onData(flags: number, id: number, buf: Buffer, start: number, end: number): void {
    if (id === 0) throw h2.protocolError('DATA on a stream', 'DATA on stream 0');
    const length = end - start;
    // Flow control counts the whole payload, padding included, and closed streams' DATA too.
    this.unacked += length;
    if (this.unacked >= this.localWindow / 2) {
      this.out.batch.frame(h2.windowUpdateFrame(0, this.unacked));
      this.unacked = 0;
    }
    const stream = this.streams.get(id);
    if (!stream) return;
    const [from, to] = flags & h2.PADDED ? h2.unpad(buf, start, end) : [start, end];
    stream.received += to - from;
    stream.chunks?.push(Buffer.from(buf.subarray(from, to))); // a copy: buf is the connection's read buffer
    if (flags & h2.END_STREAM) return this.finish(stream);
    stream.unacked += length;
    if (stream.unacked >= this.localWindow / 2) {
      this.out.batch.frame(h2.windowUpdateFrame(id, stream.unacked));
      stream.unacked = 0;
    }
  }

  private onHeaderBlock(id: number, flags: number, fields: string[]): void {
    const stream = this.streams.get(id);
    if (!stream) return;
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i]!;
      if (name === ':status') stream.status = Number(fields[i + 1]);
      else if (name[0] !== ':') stream.fields.push(name, fields[i + 1]!);
    }
    if (flags & h2.END_STREAM) this.finish(stream);
  }

  private onSettings(flags: number, buf: Buffer, start: number, end: number): void {
    if (flags & h2.ACK) {
      if (end !== start) throw h2.frameSizeError('SETTINGS ACK', '0', end - start);
      return;
    }
    if ((end - start) % 6 !== 0) throw h2.frameSizeError('SETTINGS', 'a multiple of 6', end - start);
    for (let at = start; at < end; at += 6) {
      const id = buf.readUInt16BE(at);
      const value = buf.readUInt32BE(at + 2);
      if (id === h2.SETTINGS_MAX_CONCURRENT_STREAMS) this.maxStreams = value;
      else if (id === h2.SETTINGS_INITIAL_WINDOW_SIZE) this.out.setInitialWindow(value, this.streams.values());
      else if (id === h2.SETTINGS_MAX_FRAME_SIZE) {
        if (value < h2.DEFAULT_FRAME_SIZE || value > h2.MAX_FRAME_SIZE)
          throw h2.protocolError('SETTINGS_MAX_FRAME_SIZE within 16384..16777215', `${value}`);
        this.out.maxFrame = value;
      }
    }
    this.out.batch.frame(SETTINGS_ACK);
    if (!this.settingsSeen) {
      this.settingsSeen = true;
      clearTimeout(this.connectTimer);
      this.settle?.resolve();
    }
    this.admit();
    this.out.pump();
  }

  private onGoaway(buf: Buffer, start: number, end: number): void {
    if (end - start < 8) throw h2.frameSizeError('GOAWAY', 'at least 8', end - start);
    const last = buf.readUInt32BE(start) & 0x7fffffff;
    const debug = buf.toString('utf8', start + 8, end);
    const reason = `the server sent GOAWAY ${h2.errorName(buf.readUInt32BE(start + 4))}${debug ? `: ${debug}` : ''}`;
    for (const stream of this.streams.values())
      if (stream.id > last) this.finish(stream, `${reason}; it did not process this request`);
    this.drain(reason);
  }

  /** No new streams from now on (GOAWAY, or no stream ids left); the connection closes after its last stream. */
  private drain(reason: string): void {
    this.goaway ??= reason;
    for (const stream of this.waiting.splice(0)) this.finish(stream, `${reason} before this request was sent`);
    this.afterStream();
  }

  private finish(stream: H2Stream, error?: string): void {
    if (stream.finished) return;
    stream.finished = true;
    stream.error = error;
    this.streams.delete(stream.id);
    // The peer answered before taking the whole request: stop sending it.
    if (error === undefined && stream.sent < stream.request.body.length)
      this.out.batch.frame(h2.rstStreamFrame(stream.id, h2.CANCEL));
    stream.done(stream);
    this.afterStream();
  }

  /** A stream ended: open a waiting one, or close the connection after a GOAWAY once the last stream ended. */
  private afterStream(): void {
    if (this.waiting.length > 0) this.admit();
    if (this.goaway !== undefined && this.streams.size === 0 && this.failure === undefined) {
      this.failure = this.goaway;
      this.out.batch.flush();
      this.socket.end();
    }
  }

  private admit(): void {
    while (this.settingsSeen && this.accepting && this.waiting.length > 0 && this.streams.size < this.maxStreams) {
      const stream = this.waiting.shift()!;
      this.out.open(stream, this.nextId);
      this.streams.add(stream);
      this.nextId += 2;
      if (this.nextId > LAST_STREAM_ID) this.drain('the connection used up its stream ids');
    }
  }

  /** Fails the connection and everything on it; `goaway` is sent first when given; `code` goes on `ready`'s error. */
  private fail(reason: string, { goaway, code }: { goaway?: Buffer; code?: string } = {}): void {
    if (this.failure !== undefined) return;
    const after = this.goaway ? ` (after ${this.goaway})` : '';
    this.failure = `HTTP/2 connection to ${this.where}: ${reason}${after}`;
    clearTimeout(this.connectTimer);
    if (goaway) this.socket.end(goaway);
    else this.socket.destroy();
    this.settle?.reject(Object.assign(new Error(`${reason}${after}`), code ? { code } : {}));
    for (const stream of [...this.waiting.splice(0), ...this.streams.values()]) this.finish(stream, this.failure);
  }
}
