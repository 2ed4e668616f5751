import { Deadlines, timeoutFailure } from './deadlines.js';
import type { GrpcSenderOptions } from './grpc-h2.js';
import { grpcConnectError, grpcResult } from './grpc-outcome.js';
import { frame, grpcHeaders } from './grpc-wire.js';
import { H2Connection } from './h2-connection.js';
import { h2Request } from './h2-request.js';
import type { H2Stream } from './h2-stream.js';
import { keepsReply } from './reply-check.js';
import type { SendResult, Sender } from './sender.js';
import { channelAddresses } from './target.js';

/**
 * The hot path (`--h2 raw`, the default): gRPC unary calls over the project's own minimal HTTP/2 client
 * (H2Connection), round-robin over `channels` connections. The request's HEADERS frame and framed message are
 * built once; a connection that failed or got GOAWAY is replaced on the next send.
 */
export async function createRawGrpcSender(options: GrpcSenderOptions): Promise<Sender> {
  const { target, timeoutMs, replyCheck } = options;
  const addresses = await channelAddresses(target, options.channels);
  const connect = (host: string): H2Connection =>
    new H2Connection({ host, port: target.port, authority: target.authority, connectTimeoutMs: timeoutMs });
  const connections = addresses.map(connect);
  const settled = await Promise.allSettled(connections.map((c) => c.ready));
  const failed = settled.findIndex((s) => s.status === 'rejected');
  if (failed >= 0) {
    await Promise.all(connections.map((c) => c.close()));
    throw grpcConnectError(target, addresses[failed]!, (settled[failed] as PromiseRejectedResult).reason);
  }
  const request = h2Request(grpcHeaders(options.path, target.authority, timeoutMs), frame(options.message));
  const bytesSent = request.body.length;
  const deadlines = new Deadlines(timeoutMs);
  let next = 0;
  let sent = 0;

  const result = (stream: H2Stream): SendResult =>
    grpcResult(
      {
        failure: stream.error === undefined ? undefined : { code: 'connection', message: stream.error },
        httpStatus: stream.status,
        grpcStatus: stream.field('grpc-status'),
        grpcMessage: stream.field('grpc-message'),
        chunks: stream.chunks,
        bytesSent,
        bytesReceived: stream.received,
      },
      replyCheck,
    );

  const send = (): Promise<SendResult> =>
    new Promise((resolve) => {
      const channel = next;
      next = (next + 1) % connections.length;
      sent += 1;
      let connection = connections[channel]!;
      if (!connection.accepting) connection = connections[channel] = connect(addresses[channel]!);
      let cancel = (): unknown => undefined;
      const stream = connection.request(request, keepsReply(options.keepReply, replyCheck, sent), (done) => {
        cancel();
        resolve(result(done));
      });
      cancel = deadlines.add(() => {
        connection.reset(stream);
        resolve({ ok: false, ...timeoutFailure(timeoutMs), bytesSent, bytesReceived: stream.received });
      });
    });

  return {
    send,
    async close() {
      deadlines.close();
      await Promise.all(connections.map((c) => c.close()));
    },
  };
}
