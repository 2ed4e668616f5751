import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { FrameReader } from '../../../../loadtest/senders/h2-frame-reader.js';
import { END_HEADERS, HEADERS, PREFACE, frame, settingsFrame } from '../../../../loadtest/senders/h2-frames.js';
import { encodeHeaderBlock } from '../../../../loadtest/senders/hpack-encoder.js';

export interface PeerFrame {
  readonly type: number;
  readonly flags: number;
  readonly id: number;
  readonly payload: Buffer;
}

/**
 * One connection to a fake HTTP/2 server that does exactly what a test says, frame by frame: the corners a
 * real server rarely shows (CONTINUATION, padding, GOAWAY with a last stream id, protocol errors).
 */
export class ScriptedPeer {
  readonly frames: PeerFrame[] = [];
  private readonly waiters: { match: (f: PeerFrame) => boolean; resolve: (f: PeerFrame) => void }[] = [];
  private preface = Buffer.alloc(0);

  constructor(readonly socket: net.Socket) {
    const reader = new FrameReader(2 ** 24 - 1, (type, flags, id, buf, start, end) => {
      const f = { type, flags, id, payload: Buffer.from(buf.subarray(start, end)) };
      this.frames.push(f);
      for (const w of this.waiters.filter((w) => w.match(f))) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(f);
      }
    });
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      if (this.preface.length < PREFACE.length) {
        const need = PREFACE.length - this.preface.length;
        this.preface = Buffer.concat([this.preface, chunk.subarray(0, need)]);
        chunk = chunk.subarray(need);
      }
      if (chunk.length > 0) reader.push(chunk);
    });
  }

  send(type: number, flags: number, id: number, payload: Uint8Array = new Uint8Array(0)): void {
    this.socket.write(frame(type, flags, id, payload));
  }

  settings(entries: [number, number][] = []): void {
    this.socket.write(settingsFrame(entries));
  }

  /** A HEADERS frame holding the whole block. */
  headers(id: number, fields: [string, string][], flags = END_HEADERS): void {
    this.send(HEADERS, flags, id, encodeHeaderBlock(fields));
  }

  /** The first frame, received already or to come, that matches; fails after 2 s. */
  next(match: (f: PeerFrame) => boolean, what: string): Promise<PeerFrame> {
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the peer got no ${what} within 2 s`)), 2000);
      this.waiters.push({ match, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  }

  /** Frames of a type, optionally on one stream. */
  of(type: number, id?: number): PeerFrame[] {
    return this.frames.filter((f) => f.type === type && (id === undefined || f.id === id));
  }
}

export interface ScriptedServer {
  readonly port: number;
  /** The next connection the server accepts (each connection is handed out once). */
  accept(): Promise<ScriptedPeer>;
}

/** Starts fake servers on 127.0.0.1 whose connections tests script with `accept()`; stopped after each test. */
export function scriptedServers(): () => Promise<ScriptedServer> {
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });
  return async () => {
    const accepted: ScriptedPeer[] = [];
    const waiting: ((peer: ScriptedPeer) => void)[] = [];
    const server = net.createServer((socket) => {
      sockets.add(socket);
      const peer = new ScriptedPeer(socket);
      const take = waiting.shift();
      if (take) take(peer);
      else accepted.push(peer);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      port: (server.address() as AddressInfo).port,
      accept: () => {
        const peer = accepted.shift();
        if (peer) return Promise.resolve(peer);
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no connection within 2 s')), 2000);
          waiting.push((p) => (clearTimeout(timer), resolve(p)));
        });
      },
    };
  };
}
