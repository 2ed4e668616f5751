/** The HTTP/2 vocabulary (RFC 9113) the client uses: frame types, flags, error codes, settings, and frame builders. */

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FRAME_HEADER = 9;
/** The largest frame, window and stream id the protocol allows. */
export const MAX_FRAME_SIZE = 2 ** 24 - 1;
export const MAX_WINDOW = 2 ** 31 - 1;
export const DEFAULT_WINDOW = 65_535;
export const DEFAULT_FRAME_SIZE = 16_384;

export const DATA = 0;
export const HEADERS = 1;
export const PRIORITY = 2;
export const RST_STREAM = 3;
export const SETTINGS = 4;
export const PUSH_PROMISE = 5;
export const PING = 6;
export const GOAWAY = 7;
export const WINDOW_UPDATE = 8;
export const CONTINUATION = 9;

export const END_STREAM = 0x1;
export const ACK = 0x1;
export const END_HEADERS = 0x4;
export const PADDED = 0x8;
export const PRIORITY_FLAG = 0x20;

export const SETTINGS_HEADER_TABLE_SIZE = 1;
export const SETTINGS_ENABLE_PUSH = 2;
export const SETTINGS_MAX_CONCURRENT_STREAMS = 3;
export const SETTINGS_INITIAL_WINDOW_SIZE = 4;
export const SETTINGS_MAX_FRAME_SIZE = 5;

export const NO_ERROR = 0;
export const PROTOCOL_ERROR = 1;
export const INTERNAL_ERROR = 2;
export const FLOW_CONTROL_ERROR = 3;
export const FRAME_SIZE_ERROR = 6;
export const CANCEL = 8;
export const COMPRESSION_ERROR = 9;

const ERROR_NAMES = [
  'NO_ERROR',
  'PROTOCOL_ERROR',
  'INTERNAL_ERROR',
  'FLOW_CONTROL_ERROR',
  'SETTINGS_TIMEOUT',
  'STREAM_CLOSED',
  'FRAME_SIZE_ERROR',
  'REFUSED_STREAM',
  'CANCEL',
  'COMPRESSION_ERROR',
  'CONNECT_ERROR',
  'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED',
];

/** 'REFUSED_STREAM (7)'. */
export function errorName(code: number): string {
  return `${ERROR_NAMES[code] ?? 'unknown error'} (${code})`;
}

/** A violation of HTTP/2 or HPACK by the peer: the connection ends with a GOAWAY carrying `code`. */
export class H2ProtocolError extends Error {
  override readonly name = 'H2ProtocolError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export function writeFrameHeader(
  buf: Buffer,
  at: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  buf[at] = length >>> 16;
  buf[at + 1] = (length >>> 8) & 0xff;
  buf[at + 2] = length & 0xff;
  buf[at + 3] = type;
  buf[at + 4] = flags;
  buf.writeUInt32BE(streamId, at + 5);
}

export function frame(type: number, flags: number, streamId: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  writeFrameHeader(buf, 0, payload.length, type, flags, streamId);
  buf.set(payload, FRAME_HEADER);
  return buf;
}

export function settingsFrame(settings: readonly (readonly [number, number])[]): Buffer {
  const payload = Buffer.allocUnsafe(6 * settings.length);
  for (const [i, [id, value]] of settings.entries()) {
    payload.writeUInt16BE(id, 6 * i);
    payload.writeUInt32BE(value, 6 * i + 2);
  }
  return frame(SETTINGS, 0, 0, payload);
}

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(increment);
  return frame(WINDOW_UPDATE, 0, streamId, payload);
}

export function rstStreamFrame(streamId: number, code: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(code);
  return frame(RST_STREAM, 0, streamId, payload);
}

export function goawayFrame(lastStreamId: number, code: number, debug = ''): Buffer {
  const text = Buffer.from(debug);
  const payload = Buffer.allocUnsafe(8 + text.length);
  payload.writeUInt32BE(lastStreamId);
  payload.writeUInt32BE(code, 4);
  payload.set(text, 8);
  return frame(GOAWAY, 0, 0, payload);
}

/** A PADDED frame's payload without its pad length byte and padding. */
export function unpad(buf: Buffer, start: number, end: number): [number, number] {
  const pad = buf[start] ?? 0;
  if (start + 1 + pad > end) throw protocolError('padding within the frame', `${pad} bytes of padding`);
  return [start + 1, end - pad];
}

export function protocolError(expected: string, found: string): H2ProtocolError {
  return new H2ProtocolError(PROTOCOL_ERROR, `expected ${expected}, found ${found}`);
}

export function frameSizeError(frame: string, expected: string, found: number): H2ProtocolError {
  return new H2ProtocolError(FRAME_SIZE_ERROR, `expected ${frame} of ${expected} bytes, found ${found}`);
}
