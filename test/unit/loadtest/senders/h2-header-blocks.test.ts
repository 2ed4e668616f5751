import { describe, expect, it } from 'vitest';
import { CONTINUATION, END_HEADERS, HEADERS } from '../../../../loadtest/senders/h2-frames.js';
import { HeaderBlocks } from '../../../../loadtest/senders/h2-header-blocks.js';
import { encodeHeaderBlock } from '../../../../loadtest/senders/hpack-encoder.js';

describe('HeaderBlocks', () => {
  it('decodes a block continued in CONTINUATION frames even when the bytes it was given are overwritten', () => {
    const decoded: string[][] = [];
    const blocks = new HeaderBlocks((_id, _flags, fields) => decoded.push([...fields]));
    const block = encodeHeaderBlock([
      [':status', '200'],
      ['x-first', 'a'.repeat(40)],
    ]);
    // One buffer for every "read", as the connection's read buffer is.
    const reads = Buffer.alloc(block.length);
    block.copy(reads, 0, 0, 20);
    blocks.headers(0, 1, reads, 0, 20);
    reads.fill(0xff);
    block.copy(reads, 0, 20);
    blocks.checkNext(CONTINUATION, CONTINUATION);
    blocks.continuation(END_HEADERS, 1, reads, 0, block.length - 20);
    expect(decoded).toEqual([[':status', '200', 'x-first', 'a'.repeat(40)]]);
    expect(() => blocks.checkNext(HEADERS, CONTINUATION)).not.toThrow();
  });
});
