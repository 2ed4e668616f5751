import { ModelshipError } from '../../shared/errors.js';
import { decodeGrpcMessage, grpcCode, unframe } from './grpc-wire.js';
import type { ReplyCheck } from './reply-check.js';
import type { SendResult } from './sender.js';
import type { Target } from './target.js';

/** What a gRPC sender saw of one call, whatever its HTTP/2 client. */
export interface GrpcCall {
  /** A failure below gRPC: timeout, connection, reset. */
  readonly failure?: { readonly code: string; readonly message: string };
  readonly httpStatus: number;
  /** The grpc-status and grpc-message fields, from the trailers or a trailers-only response. */
  readonly grpcStatus: unknown;
  readonly grpcMessage: unknown;
  /** The response body, when it was kept. */
  readonly chunks: readonly Buffer[] | undefined;
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

/** The result of a call: its failure, HTTP status or gRPC status, else OK (with the reply checked when kept). */
export function grpcResult(call: GrpcCall, replyCheck: ReplyCheck | undefined): SendResult {
  // Every result is built with the same fields in the same order, no spread: one object shape for the hot path.
  const failed = (code: string, message: string): SendResult => ({
    ok: false,
    code,
    message,
    bytesSent: call.bytesSent,
    bytesReceived: call.bytesReceived,
  });
  if (call.failure) return failed(call.failure.code, call.failure.message);
  const { httpStatus } = call;
  if (httpStatus === 0) return failed('connection', 'the stream ended without a response');
  if (httpStatus !== 200) return failed(`http ${httpStatus}`, `HTTP status ${httpStatus}`);
  if (call.grpcStatus === undefined) return failed('grpc 2 UNKNOWN', 'the reply ended without a grpc-status trailer');
  const status = Number(call.grpcStatus);
  if (!Number.isInteger(status) || status < 0)
    return failed('grpc 2 UNKNOWN', `grpc-status '${String(call.grpcStatus)}'`);
  if (status !== 0) return failed(grpcCode(status), decodeGrpcMessage(call.grpcMessage));
  if (!call.chunks) return { ok: true, code: 'OK', bytesSent: call.bytesSent, bytesReceived: call.bytesReceived };
  const message = unframe(Buffer.concat(call.chunks));
  if (typeof message === 'string') return failed('framing', message);
  const wrong = replyCheck?.check(message);
  if (wrong !== undefined) return failed('shape', wrong);
  return { ok: true, code: 'OK', bytesSent: call.bytesSent, bytesReceived: call.bytesReceived, body: message };
}

/** The error of a gRPC sender that could not connect to an address of the target. */
export function grpcConnectError(target: Target, address: string, err: unknown): ModelshipError {
  return new ModelshipError(
    `target ${target.authority} (${address}): could not connect over HTTP/2: ${(err as Error).message}`,
    { cause: err, hint: 'check --target (TF Serving gRPC listens on 8500) and that the server is up' },
  );
}
