import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcSender } from '../../../../loadtest/senders/grpc-h2.js';
import { parseTarget, type Target } from '../../../../loadtest/senders/target.js';
import { startEchoServer } from '../../../../loadtest/testing/echo-server.js';

const identity = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };
const method = (path: string) => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: identity.serialize,
  requestDeserialize: identity.deserialize,
  responseSerialize: identity.serialize,
  responseDeserialize: identity.deserialize,
});
const service = { echo: method('/test.Echo/Call'), fail: method('/test.Echo/Fail') };

let server: grpc.Server;
let target: Target;
let client: grpc.Client;
beforeAll(async () => {
  server = new grpc.Server();
  server.addService(service, {
    echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) =>
      done(null, Buffer.concat([Buffer.from('re:'), call.request])),
    fail: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) =>
      done({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'queue full: 100% é' }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  target = parseTarget(`127.0.0.1:${port}`) as Target;
  client = new grpc.Client(target.authority, grpc.credentials.createInsecure());
});
afterAll(() => {
  client.close();
  server.forceShutdown();
});

function viaGrpcJs(path: string, message: Buffer): Promise<{ reply?: Buffer; code?: number; details?: string }> {
  return new Promise((resolve) =>
    client.makeUnaryRequest(path, identity.serialize, identity.deserialize, message, (err, reply) =>
      resolve(err ? { code: err.code, details: err.details } : { reply }),
    ),
  );
}

describe('the raw HTTP/2 gRPC sender, checked against grpc-js', () => {
  it('sends the same bytes and reads the same reply as grpc-js', async () => {
    const message = Buffer.from('hello, tf serving');
    const sender = await createGrpcSender({
      target,
      path: '/test.Echo/Call',
      message,
      channels: 2,
      timeoutMs: 5000,
      keepReply: true,
    });
    const [raw, reference] = await Promise.all([sender.send(), viaGrpcJs('/test.Echo/Call', message)]);
    await sender.close();
    expect(raw.ok).toBe(true);
    expect(Buffer.from(raw.body!)).toEqual(reference.reply);
    expect(raw.bytesSent).toBe(5 + message.length);
    expect(raw.bytesReceived).toBe(5 + reference.reply!.length);
  });

  it('reports the grpc-status and decoded grpc-message that grpc-js reports', async () => {
    const sender = await createGrpcSender({
      target,
      path: '/test.Echo/Fail',
      message: Buffer.alloc(3),
      channels: 1,
      timeoutMs: 5000,
    });
    const [raw, reference] = await Promise.all([sender.send(), viaGrpcJs('/test.Echo/Fail', Buffer.alloc(3))]);
    await sender.close();
    expect(reference.code).toBe(8);
    expect(raw).toMatchObject({ ok: false, code: 'grpc 8 RESOURCE_EXHAUSTED', message: reference.details });
  });

  it('fails an unknown method as UNIMPLEMENTED, like grpc-js', async () => {
    const sender = await createGrpcSender({
      target,
      path: '/test.Echo/Nope',
      message: Buffer.alloc(1),
      channels: 1,
      timeoutMs: 5000,
    });
    const [raw, reference] = await Promise.all([sender.send(), viaGrpcJs('/test.Echo/Nope', Buffer.alloc(1))]);
    await sender.close();
    expect(raw.code).toBe(`grpc ${reference.code} UNIMPLEMENTED`);
  });

  it('times a request out at --timeout and says so', async () => {
    const slow = await startEchoServer({ latencyMs: 2000 });
    const sender = await createGrpcSender({
      target: parseTarget(`127.0.0.1:${slow.grpcPort}`) as Target,
      path: '/x/y',
      message: Buffer.alloc(1),
      channels: 1,
      timeoutMs: 100,
    });
    const started = performance.now();
    const result = await sender.send();
    const took = performance.now() - started;
    await sender.close();
    await slow.stop();
    expect(result).toMatchObject({ ok: false, code: 'timeout', message: 'no reply within 100 ms' });
    expect(took).toBeGreaterThanOrEqual(100);
    expect(took).toBeLessThan(400);
  });
});
