/** gRPC over HTTP/2 by hand: the 5-byte message framing and the status codes. */

const STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** 'grpc 14 UNAVAILABLE': the failure key used in summaries and CSVs. */
export function grpcCode(status: number): string {
  return `grpc ${status} ${STATUS_NAMES[status] ?? 'UNKNOWN'}`;
}

/** The request headers of a unary call, pseudo-headers first: the same block for every call. */
export function grpcHeaders(path: string, authority: string, timeoutMs: number): [string, string][] {
  return [
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', path],
    [':authority', authority],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
    ['grpc-timeout', grpcTimeout(timeoutMs)],
  ];
}

/** grpc-timeout: at most 8 digits and a unit. */
function grpcTimeout(ms: number): string {
  return ms < 1e8 ? `${Math.ceil(ms)}m` : `${Math.ceil(ms / 1000)}S`;
}

/** A length-prefixed message: compressed flag 0, 4-byte big-endian length, the bytes. */
export function frame(message: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(5 + message.length);
  framed.writeUInt8(0, 0);
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, 5);
  return framed;
}

/** The first message of a response body, or an error text. */
export function unframe(body: Buffer): Uint8Array | string {
  if (body.length < 5) return `expected a 5-byte gRPC message prefix, found ${body.length} bytes`;
  if (body[0] !== 0) return 'expected an uncompressed gRPC message, found the compressed flag set';
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) return `expected a ${length}-byte message, found ${body.length - 5} bytes`;
  return body.subarray(5, 5 + length);
}

/** grpc-message is percent-encoded (gRPC over HTTP/2 spec). */
export function decodeGrpcMessage(raw: unknown): string {
  if (typeof raw !== 'string') return '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
