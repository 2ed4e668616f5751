import { createHash } from 'node:crypto';
import http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import type { GrpcSenderOptions } from '../../../../loadtest/senders/grpc-h2.js';
import { frame } from '../../../../loadtest/senders/grpc-wire.js';
import type { Sender } from '../../../../loadtest/senders/sender.js';
import { parseTarget, type Target } from '../../../../loadtest/senders/target.js';
import { echoServers } from '../support.js';
import { ECHO, FAIL, grpcJsCall, grpcJsServer, http2Servers, reply } from './grpc-reference-servers.js';
import { scriptedServers } from './scripted-h2-peer.js';

export type CreateGrpcSender = (options: GrpcSenderOptions) => Promise<Sender>;

/**
 * What every gRPC sender must do, checked against grpc-js and node:http2 servers: one suite, run for each
 * HTTP/2 client (`--h2 raw` and `--h2 node`).
 */
export function grpcSenderContract(name: string, create: CreateGrpcSender): void {
  const grpcJs = grpcJsServer();
  const http2Server = http2Servers();
  const echoServer = echoServers();
  const scripted = scriptedServers();
  const sender = (target: Target, path: string, message: Buffer, extra: Partial<GrpcSenderOptions> = {}) =>
    create({ target, path, message, channels: 1, timeoutMs: 5000, keepReply: true, ...extra });
  /** Sends `count` requests at once and closes the sender. */
  async function sendAll(s: Sender, count = 1) {
    const results = await Promise.all(Array.from({ length: count }, () => s.send()));
    await s.close();
    return results;
  }

  describe(`the ${name} gRPC sender, checked against grpc-js`, () => {
    it('sends the same bytes and reads the same reply as grpc-js', async () => {
      const message = Buffer.from('hello, tf serving');
      const [raw] = await sendAll(await sender(grpcJs(), ECHO, message, { channels: 2 }));
      const reference = await grpcJsCall(grpcJs(), ECHO, message);
      expect(raw).toMatchObject({ ok: true, code: 'OK', bytesSent: 5 + message.length });
      expect(Buffer.from(raw!.body!)).toEqual(reference.reply);
      expect(raw!.bytesReceived).toBe(5 + reference.reply!.length);
    });

    it('reports the grpc-status and decoded grpc-message that grpc-js reports', async () => {
      const [raw] = await sendAll(await sender(grpcJs(), FAIL, Buffer.alloc(3)));
      const reference = await grpcJsCall(grpcJs(), FAIL, Buffer.alloc(3));
      expect(reference.code).toBe(8);
      expect(raw).toMatchObject({ ok: false, code: 'grpc 8 RESOURCE_EXHAUSTED', message: reference.details });
    });

    it('fails an unknown method as UNIMPLEMENTED, like grpc-js', async () => {
      const [raw] = await sendAll(await sender(grpcJs(), '/test.Echo/Nope', Buffer.alloc(1)));
      const reference = await grpcJsCall(grpcJs(), '/test.Echo/Nope', Buffer.alloc(1));
      expect(raw!.code).toBe(`grpc ${reference.code} UNIMPLEMENTED`);
    });

    it('carries 3 MB each way over many frames, several calls at once', async () => {
      const message = Buffer.from(Array.from({ length: 3 << 20 }, (_, i) => (i * 7) % 251));
      const results = await sendAll(await sender(grpcJs(), ECHO, message), 3);
      const reference = await grpcJsCall(grpcJs(), ECHO, message);
      for (const r of results) expect(Buffer.from(r.body!).equals(reference.reply!)).toBe(true);
    });

    it('reads a trailers-only error as grpc-js does', async () => {
      const failing = await echoServer({ failEvery: 1 });
      const target = parseTarget(`127.0.0.1:${failing.grpcPort}`) as Target;
      const [raw] = await sendAll(await sender(target, ECHO, Buffer.alloc(2)));
      const reference = await grpcJsCall(target, ECHO, Buffer.alloc(2));
      expect(reference).toMatchObject({ code: 14, details: 'echo server unavailable' });
      expect(raw).toMatchObject({ ok: false, code: 'grpc 14 UNAVAILABLE', message: reference.details });
    });
  });

  describe(`the ${name} gRPC sender against node:http2 servers`, () => {
    it('sends within a small server window that changes while it sends', async () => {
      const digest = (b: Buffer): Buffer => createHash('sha256').update(b).digest();
      let first = true;
      const { target } = await http2Server(
        (stream, body, session) => {
          if (first) session.settings({ initialWindowSize: 70_000 });
          first = false;
          reply(stream, digest(body));
        },
        { settings: { initialWindowSize: 1024 } },
      );
      const message = Buffer.alloc(1 << 20, 9);
      const results = await sendAll(await sender(target, ECHO, message), 4);
      for (const r of results) expect(Buffer.from(r.body!)).toEqual(digest(frame(message)));
    });

    it('reads padded frames, counting no padding as received bytes', async () => {
      const { target } = await http2Server((stream) => reply(stream, Buffer.from('padded!')), {
        paddingStrategy: http2.constants.PADDING_STRATEGY_MAX,
      });
      const [r] = await sendAll(await sender(target, ECHO, Buffer.alloc(1)));
      expect(r).toMatchObject({ ok: true, bytesReceived: 5 + 7 });
      expect(Buffer.from(r!.body!).toString()).toBe('padded!');
    });

    it('times a request out at --timeout, says so, and cancels the stream', async () => {
      let closed: (code: number) => void = () => undefined;
      const rstCode = new Promise<number>((resolve) => (closed = resolve));
      const { target } = await http2Server((stream) => stream.on('close', () => closed(stream.rstCode)));
      const s = await sender(target, ECHO, Buffer.alloc(1), { timeoutMs: 100 });
      const started = performance.now();
      const result = await s.send();
      const took = performance.now() - started;
      expect(result).toMatchObject({ ok: false, code: 'timeout', message: 'no reply within 100 ms' });
      expect(took).toBeGreaterThanOrEqual(100);
      expect(took).toBeLessThan(400);
      expect(await rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
      await s.close();
    });

    it('fails a stream the server resets as a connection failure naming the code', async () => {
      const { target } = await http2Server((stream) => stream.close(http2.constants.NGHTTP2_REFUSED_STREAM));
      const [r] = await sendAll(await sender(target, ECHO, Buffer.alloc(1)));
      expect(r).toMatchObject({ ok: false, code: 'connection', message: expect.stringContaining('REFUSED_STREAM') });
    });

    it('fails the calls of a connection the server drops, and sends the next on a new one', async () => {
      let drop = true;
      const { target } = await http2Server((stream, _body, session) => {
        if (drop) session.destroy();
        else reply(stream, Buffer.from('again'));
      });
      const s = await sender(target, ECHO, Buffer.alloc(1));
      expect(await s.send()).toMatchObject({ ok: false, code: 'connection' });
      drop = false;
      expect(await s.send()).toMatchObject({ ok: true });
      await s.close();
    });

    it('spreads channels over a dns:/// target', async () => {
      const { target, sessions } = await http2Server((stream) => reply(stream, Buffer.from('ok')));
      const spread = parseTarget(`dns:///127.0.0.1:${target.port}`) as Target;
      const s = await sender(spread, ECHO, Buffer.alloc(1), { channels: 3 });
      const results = await Promise.all([s.send(), s.send(), s.send()]);
      expect(sessions.size).toBe(3);
      await s.close();
      expect(results.every((r) => r.ok)).toBe(true);
    });

    it('fails within --timeout, naming the target, when the server accepts and never speaks HTTP/2', async () => {
      const server = await scripted();
      const target = parseTarget(`127.0.0.1:${server.port}`) as Target;
      const connecting = sender(target, ECHO, Buffer.alloc(1), { timeoutMs: 200 });
      await server.accept();
      await expect(connecting).rejects.toThrow(
        `target 127.0.0.1:${server.port} (127.0.0.1): could not connect over HTTP/2: no HTTP/2 SETTINGS from the server within 200 ms`,
      );
    });

    it('times out a call the server never answers, and closes though the server stops reading', async () => {
      const server = await scripted();
      const target = parseTarget(`127.0.0.1:${server.port}`) as Target;
      const connecting = sender(target, ECHO, Buffer.alloc(1), { timeoutMs: 200 });
      const peer = await server.accept();
      peer.settings();
      const s = await connecting;
      peer.socket.pause();
      expect(await s.send()).toMatchObject({ ok: false, code: 'timeout' });
      // Resolves: a GOAWAY the server never reads does not hold the close.
      await s.close();
    });

    it('fails at once, naming the target and address, when nothing listens', async () => {
      const target = parseTarget('127.0.0.1:1') as Target;
      await expect(sender(target, ECHO, Buffer.alloc(1))).rejects.toThrow(
        /target 127\.0\.0\.1:1 \(127\.0\.0\.1\): could not connect over HTTP\/2: .*ECONNREFUSED/,
      );
    });
  });
}
