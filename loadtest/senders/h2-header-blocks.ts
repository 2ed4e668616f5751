import { END_HEADERS, PADDED, PRIORITY_FLAG, protocolError, unpad } from './h2-frames.js';
import { HpackDecoder } from './hpack-decoder.js';

/** Receives a decoded header block: its fields as name, value, name, value, ... (reused after the call). */
export type BlockHandler = (streamId: number, flags: number, fields: string[]) => void;

/**
 * The header blocks of a connection, from HEADERS frames and the CONTINUATION frames that continue them, decoded
 * with the connection's one HPACK state; blocks of streams already closed are decoded too, to keep it in step.
 */
export class HeaderBlocks {
  private readonly decoder = new HpackDecoder();
  private readonly fields: string[] = [];
  /** A block continued in CONTINUATION frames: its stream, its HEADERS flags and its parts so far. */
  private continued: { id: number; flags: number; parts: Buffer[] } | undefined;

  constructor(private readonly onBlock: BlockHandler) {}

  /** Between a HEADERS without END_HEADERS and the block's end, only its CONTINUATIONs may come. */
  checkNext(type: number, continuation: number): void {
    if (this.continued && type !== continuation)
      throw protocolError(`a CONTINUATION frame on stream ${this.continued.id}`, `frame type ${type}`);
  }

  headers(flags: number, id: number, buf: Buffer, start: number, end: number): void {
    if (id === 0) throw protocolError('HEADERS on a stream', 'HEADERS on stream 0');
    const [unpadded, to] = flags & PADDED ? unpad(buf, start, end) : [start, end];
    const from = flags & PRIORITY_FLAG ? unpadded + 5 : unpadded;
    if (from > to) throw protocolError('a HEADERS frame long enough for its priority fields', `${end - start} bytes`);
    if (flags & END_HEADERS) this.decode(id, flags, buf, from, to);
    // Copies: buf may be the connection's read buffer, which the next read overwrites.
    else this.continued = { id, flags, parts: [Buffer.from(buf.subarray(from, to))] };
  }

  continuation(flags: number, id: number, buf: Buffer, start: number, end: number): void {
    const continued = this.continued;
    if (continued?.id !== id) throw protocolError('CONTINUATION only after HEADERS', `one on stream ${id}`);
    continued.parts.push(Buffer.from(buf.subarray(start, end)));
    if ((flags & END_HEADERS) === 0) return;
    this.continued = undefined;
    const block = Buffer.concat(continued.parts);
    this.decode(id, continued.flags, block, 0, block.length);
  }

  private decode(id: number, flags: number, buf: Buffer, start: number, end: number): void {
    this.fields.length = 0;
    this.decoder.decode(buf, start, end, this.fields);
    this.onBlock(id, flags, this.fields);
  }
}
