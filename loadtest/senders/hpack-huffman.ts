import { COMPRESSION_ERROR, H2ProtocolError } from './h2-frames.js';

/**
 * RFC 7541 Appendix B, as data: the code length in bits of each symbol 0..255 and of EOS (256). The RFC's code is
 * canonical (codes of one length are consecutive, in symbol order, shorter lengths first), so these lengths
 * determine every code; `huffmanCodes` rebuilds them (0x1ff8 for symbol 0, 0x3fffffff for EOS, ...).
 */
const CODE_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28,
  28, 28, 28, 6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6,
  5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23,
  22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22, 22,
  23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, 26, 26,
  20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27,
  27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27,
  27, 27, 27, 26, 30,
];
const EOS = 256;

/** The code and its length in bits of each symbol (index 0..256), rebuilt from the canonical lengths. */
export function huffmanCodes(): { code: number; length: number }[] {
  const symbols = CODE_LENGTHS.map((length, symbol) => ({ length, symbol })).sort(
    (a, b) => a.length - b.length || a.symbol - b.symbol,
  );
  const codes = new Array<{ code: number; length: number }>(CODE_LENGTHS.length);
  let code = 0;
  let previous = symbols[0]!.length;
  for (const [i, { length, symbol }] of symbols.entries()) {
    if (i > 0) code = (code + 1) * 2 ** (length - previous);
    previous = length;
    codes[symbol] = { code, length };
  }
  return codes;
}

/**
 * Decodes Huffman-coded HPACK string literals with a binary tree walked bit by bit: response headers are few and
 * short, and a server's dynamic table makes most of them indexes after the first reply.
 */
export class HuffmanDecoder {
  /** Node n's children are at 2n (bit 0) and 2n+1 (bit 1): > 0 another node, < 0 a leaf -(symbol + 1). */
  private readonly tree: Int32Array;

  constructor() {
    this.tree = new Int32Array(2 * CODE_LENGTHS.length);
    let nodes = 1;
    for (const [symbol, { code, length }] of huffmanCodes().entries()) {
      let node = 0;
      for (let bit = length - 1; bit >= 0; bit -= 1) {
        const slot = 2 * node + (Math.floor(code / 2 ** bit) % 2);
        if (bit === 0) this.tree[slot] = -(symbol + 1);
        else node = this.tree[slot] || (this.tree[slot] = nodes++);
      }
    }
  }

  /** The bytes start..end of `buf` decoded, as a latin1 string (header octets). */
  decode(buf: Uint8Array, start: number, end: number): string {
    const out = Buffer.allocUnsafe(Math.ceil(((end - start) * 8) / 5));
    let length = 0;
    let node = 0;
    // Bits read since the last symbol, and whether all were ones: what is left at the end must be EOS's prefix.
    let pending = 0;
    let ones = true;
    for (let i = start; i < end; i += 1) {
      const byte = buf[i]!;
      for (let bit = 7; bit >= 0; bit -= 1) {
        const one = (byte >> bit) & 1;
        const next = this.tree[2 * node + one]!;
        pending += 1;
        ones &&= one === 1;
        if (next >= 0) {
          node = next;
          continue;
        }
        if (next === -(EOS + 1)) throw huffmanError('the EOS symbol inside a string');
        out[length++] = -next - 1;
        node = 0;
        pending = 0;
        ones = true;
      }
    }
    if (pending > 7) throw huffmanError(`${pending} bits of padding (at most 7)`);
    if (!ones) throw huffmanError('padding that is not the EOS prefix (all ones)');
    return out.toString('latin1', 0, length);
  }
}

function huffmanError(found: string): H2ProtocolError {
  return new H2ProtocolError(COMPRESSION_ERROR, `HPACK: expected a valid Huffman-coded string, found ${found}`);
}
