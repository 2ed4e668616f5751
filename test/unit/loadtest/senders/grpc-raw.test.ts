import http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import { createGrpcSender } from '../../../../loadtest/senders/grpc-h2.js';
import { createRawGrpcSender } from '../../../../loadtest/senders/grpc-raw.js';
import { grpcSenderContract } from './grpc-sender-contract.js';
import { ECHO, FAIL, grpcJsServer, http2Servers, reply } from './grpc-reference-servers.js';

grpcSenderContract('raw HTTP/2', createRawGrpcSender);

describe('the raw HTTP/2 gRPC sender, beside the node:http2 one', () => {
  const grpcJs = grpcJsServer();
  const http2Server = http2Servers();

  it.each([
    ['a reply', ECHO],
    ['an error status', FAIL],
    ['an unknown method', '/test.Echo/Nope'],
  ])('gives the same result as the node:http2 sender for %s', async (_what, path) => {
    const options = { target: grpcJs(), path, message: Buffer.from('same'), channels: 1, timeoutMs: 5000 };
    const results = [];
    for (const create of [createRawGrpcSender, createGrpcSender]) {
      const sender = await create({ ...options, keepReply: true });
      results.push(await sender.send());
      await sender.close();
    }
    expect(results[0]).toEqual(results[1]);
  });

  it("queues calls over the server's SETTINGS_MAX_CONCURRENT_STREAMS", async () => {
    let now = 0;
    let most = 0;
    const { target } = await http2Server(
      (stream) => {
        most = Math.max(most, (now += 1));
        setTimeout(() => ((now -= 1), reply(stream, Buffer.from('ok'))), 5);
      },
      { settings: { maxConcurrentStreams: 2 } },
    );
    const sender = await createRawGrpcSender({
      target,
      path: ECHO,
      message: Buffer.from('x'),
      channels: 1,
      timeoutMs: 5000,
    });
    const results = await Promise.all(Array.from({ length: 10 }, () => sender.send()));
    await sender.close();
    expect(results.map((r) => r.code)).toEqual(Array(10).fill('OK'));
    expect(most).toBe(2);
  });

  it('after a GOAWAY, fails the calls the server did not take, finishes the rest, and reconnects', async () => {
    const held: http2.ServerHttp2Stream[] = [];
    const { target } = await http2Server((stream, _body, session) => {
      if (held.length === 3) return reply(stream, Buffer.from('new'));
      held.push(stream);
      if (held.length < 3) return;
      session.goaway(http2.constants.NGHTTP2_NO_ERROR, held[1]!.id!);
      for (const s of held.slice(0, 2)) reply(s, Buffer.from('old'));
    });
    const sender = await createRawGrpcSender({
      target,
      path: ECHO,
      message: Buffer.alloc(1),
      channels: 1,
      timeoutMs: 5000,
    });
    const results = await Promise.all([sender.send(), sender.send(), sender.send()]);
    expect(results.map((r) => r.code)).toEqual(['OK', 'OK', 'connection']);
    expect(results[2]!.message).toBe('the server sent GOAWAY NO_ERROR (0); it did not process this request');
    expect(await sender.send()).toMatchObject({ ok: true });
    await sender.close();
  });
});
