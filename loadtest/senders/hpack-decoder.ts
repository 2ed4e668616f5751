import { COMPRESSION_ERROR, H2ProtocolError } from './h2-frames.js';
import { HuffmanDecoder } from './hpack-huffman.js';
import { STATIC_TABLE } from './hpack-static-table.js';

/** RFC 7541: an entry's size is its octets plus 32. */
const ENTRY_OVERHEAD = 32;
/** SETTINGS_HEADER_TABLE_SIZE's default, which the client never changes. */
export const DEFAULT_TABLE_SIZE = 4096;

/**
 * HPACK (RFC 7541) decoding of the header blocks of one connection: the static table, the dynamic table (its
 * entries evicted oldest first, its size updated by the encoder within the limit we advertised), integers with
 * an N-bit prefix, raw and Huffman-coded string literals. Field names and values are latin1 strings (octets).
 */
export class HpackDecoder {
  /** The dynamic table, oldest entry first, newest last (dynamic index 1). */
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  private size = 0;
  private capacity: number;
  private readonly huffman = new HuffmanDecoder();
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private end = 0;

  constructor(private readonly limit = DEFAULT_TABLE_SIZE) {
    this.capacity = limit;
  }

  /** Decodes the block in buf[start, end), appending each field's name and value to `out`. */
  decode(buf: Buffer, start: number, end: number, out: string[]): void {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    let fields = 0;
    while (this.pos < end) {
      const first = buf[this.pos]!;
      if (first & 0x80) {
        const index = this.integer(7);
        out.push(this.entry(index, 0), this.entry(index, 1));
      } else if (first & 0x40) {
        const index = this.integer(6);
        const name = index === 0 ? this.string() : this.entry(index, 0);
        const value = this.string();
        this.add(name, value);
        out.push(name, value);
      } else if (first & 0x20) {
        if (fields > 0) throw hpackError('a dynamic table size update at the start of a block', 'one after a field');
        const size = this.integer(5);
        if (size > this.limit) throw hpackError(`a table size of at most ${this.limit}`, `${size}`);
        this.capacity = size;
        this.evict(0);
        continue;
      } else {
        // Literal without indexing (0000) or never indexed (0001): the same to a decoder.
        const index = this.integer(4);
        const name = index === 0 ? this.string() : this.entry(index, 0);
        out.push(name, this.string());
      }
      fields += 1;
    }
  }

  /** The name (part 0) or value (part 1) at a static or dynamic table index. */
  private entry(index: number, part: 0 | 1): string {
    if (index === 0) throw hpackError('a table index >= 1', 'index 0');
    const fixed = STATIC_TABLE[index - 1];
    if (fixed) return fixed[part];
    const at = this.names.length - 1 - (index - STATIC_TABLE.length - 1);
    if (at < 0) throw hpackError(`a table index <= ${STATIC_TABLE.length + this.names.length}`, `index ${index}`);
    return part === 0 ? this.names[at]! : this.values[at]!;
  }

  private add(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    this.evict(size);
    if (size > this.capacity) return; // an entry larger than the table empties it and is not added
    this.names.push(name);
    this.values.push(value);
    this.size += size;
  }

  /** Evicts the oldest entries until `room` more octets fit. */
  private evict(room: number): void {
    while (this.names.length > 0 && this.size + room > this.capacity) {
      this.size -= this.names.shift()!.length + this.values.shift()!.length + ENTRY_OVERHEAD;
    }
  }

  /** An integer with an N-bit prefix (RFC 7541 5.1). */
  private integer(prefixBits: number): number {
    const max = (1 << prefixBits) - 1;
    let value = this.buf[this.pos++]! & max;
    if (value < max) return value;
    for (let shift = 0; ; shift += 7) {
      if (this.pos >= this.end) throw hpackError('the rest of an integer', 'the end of the block');
      if (shift > 28) throw hpackError('an integer below 2^32', 'a longer one');
      const byte = this.buf[this.pos++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  }

  /** A string literal, raw or Huffman-coded (RFC 7541 5.2). */
  private string(): string {
    if (this.pos >= this.end) throw hpackError('a string literal', 'the end of the block');
    const huffman = (this.buf[this.pos]! & 0x80) !== 0;
    const length = this.integer(7);
    const start = this.pos;
    if (start + length > this.end)
      throw hpackError(`a ${length}-octet string`, `${this.end - start} octets left in the block`);
    this.pos += length;
    return huffman
      ? this.huffman.decode(this.buf, start, start + length)
      : this.buf.toString('latin1', start, this.pos);
  }
}

function hpackError(expected: string, found: string): H2ProtocolError {
  return new H2ProtocolError(COMPRESSION_ERROR, `HPACK: expected ${expected}, found ${found}`);
}
