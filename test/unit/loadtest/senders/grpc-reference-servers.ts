import * as grpc from '@grpc/grpc-js';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { frame } from '../../../../loadtest/senders/grpc-wire.js';
import { parseTarget, type Target } from '../../../../loadtest/senders/target.js';

const identity = (b: Buffer): Buffer => b;
const method = (path: string) => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});
export const ECHO = '/test.Echo/Call';
export const FAIL = '/test.Echo/Fail';
const noLimit = { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 };

export interface GrpcJsReply {
  readonly reply?: Buffer;
  readonly code?: number;
  readonly details?: string;
}

/** One call through a grpc-js client, the reference: its reply, or its status code and details. */
export function grpcJsCall(target: Target, path: string, message: Buffer): Promise<GrpcJsReply> {
  const client = new grpc.Client(target.authority, grpc.credentials.createInsecure(), noLimit);
  return new Promise<GrpcJsReply>((resolve) =>
    client.makeUnaryRequest(path, identity, identity, message, (err, reply) =>
      resolve(err ? { code: err.code, details: err.details } : { reply: reply! }),
    ),
  ).finally(() => client.close());
}

/**
 * A grpc-js server, started before and stopped after the calling file: ECHO answers 're:' + the request, FAIL
 * answers RESOURCE_EXHAUSTED 'queue full: 100% é'.
 */
export function grpcJsServer(): () => Target {
  let server: grpc.Server;
  let target: Target;
  beforeAll(async () => {
    server = new grpc.Server(noLimit);
    server.addService(
      { echo: method(ECHO), fail: method(FAIL) },
      {
        echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) =>
          done(null, Buffer.concat([Buffer.from('re:'), call.request])),
        fail: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) =>
          done({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'queue full: 100% é' }),
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    target = parseTarget(`127.0.0.1:${port}`) as Target;
  });
  afterAll(() => server.forceShutdown());
  return () => target;
}

export interface Http2Handler {
  (stream: http2.ServerHttp2Stream, body: Buffer, session: http2.ServerHttp2Session): void;
}

/**
 * node:http2 servers with the settings a test needs, each request handed to `handler` with its whole body;
 * `reply` answers with a gRPC message and status 0. Stopped after each test.
 */
export function http2Servers(): (
  handler: Http2Handler,
  options?: http2.ServerOptions,
) => Promise<{ target: Target; sessions: Set<http2.ServerHttp2Session> }> {
  const started: { server: http2.Http2Server; sessions: Set<http2.ServerHttp2Session> }[] = [];
  afterEach(async () => {
    for (const { server, sessions } of started.splice(0)) {
      for (const s of sessions) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
  return async (handler, options = {}) => {
    const server = http2.createServer(options);
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on('session', (s) => (sessions.add(s), s.on('close', () => sessions.delete(s))));
    server.on('stream', (stream) => {
      const chunks: Buffer[] = [];
      stream.on('error', () => undefined);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => handler(stream, Buffer.concat(chunks), stream.session as http2.ServerHttp2Session));
    });
    started.push({ server, sessions });
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
    return { target: parseTarget(`127.0.0.1:${port}`) as Target, sessions };
  };
}

/** Answers a stream with one gRPC message and grpc-status 0. */
export function reply(stream: http2.ServerHttp2Stream, message: Uint8Array): void {
  if (stream.destroyed) return;
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(frame(message));
}
