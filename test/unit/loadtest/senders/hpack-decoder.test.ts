import { describe, expect, it } from 'vitest';
import { HpackDecoder } from '../../../../loadtest/senders/hpack-decoder.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s/g, ''), 'hex');
const pairs = (flat: string[]): [string, string][] =>
  flat.flatMap((_, i) => (i % 2 === 0 ? [[flat[i]!, flat[i + 1]!] as [string, string]] : []));
function decodeAll(decoder: HpackDecoder, block: Buffer): [string, string][] {
  const out: string[] = [];
  decoder.decode(block, 0, block.length, out);
  return pairs(out);
}

const date1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
const date2 = 'Mon, 21 Oct 2013 20:13:22 GMT';
const cookie = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
// RFC 7541 C.5 and C.6: three responses on one connection, a 256-octet table, so entries get evicted.
const responses: [string, string][][] = [
  [
    [':status', '302'],
    ['cache-control', 'private'],
    ['date', date1],
    ['location', 'https://www.example.com'],
  ],
  [
    [':status', '307'],
    ['cache-control', 'private'],
    ['date', date1],
    ['location', 'https://www.example.com'],
  ],
  [
    [':status', '200'],
    ['cache-control', 'private'],
    ['date', date2],
    ['location', 'https://www.example.com'],
    ['content-encoding', 'gzip'],
    ['set-cookie', cookie],
  ],
];
const raw = [
  '4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
  '4803 3330 37c1 c0bf',
  '88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31',
];
const huffman = [
  '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
  '4883 640e ffc1 c0bf',
  '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
];

describe('HPACK decoding (RFC 7541 Appendix C)', () => {
  it('decodes requests that index into the static and dynamic tables (C.3)', () => {
    const decoder = new HpackDecoder();
    expect(decodeAll(decoder, hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ]);
    expect(decodeAll(decoder, hex('8286 84be 5808 6e6f 2d63 6163 6865'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
      ['cache-control', 'no-cache'],
    ]);
    const third = '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65';
    expect(decodeAll(decoder, hex(third))).toEqual([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/index.html'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value'],
    ]);
  });

  it.each([
    ['raw strings (C.5)', raw],
    ['Huffman-coded strings (C.6)', huffman],
  ])('decodes responses with evictions from a 256-octet table, %s', (_name, blocks) => {
    const decoder = new HpackDecoder(256);
    blocks.forEach((block, i) => expect(decodeAll(decoder, hex(block))).toEqual(responses[i]));
  });

  it('applies a dynamic table size update: 0 empties the table', () => {
    const decoder = new HpackDecoder();
    decodeAll(decoder, hex('4003 6162 6302 7879')); // abc: xy, indexed as 62
    expect(decodeAll(decoder, hex('be'))).toEqual([['abc', 'xy']]);
    expect(decodeAll(decoder, hex('2082'))).toEqual([[':method', 'GET']]); // size 0, then index 2
    expect(() => decodeAll(decoder, hex('be'))).toThrow('expected a table index <= 61, found index 62');
  });

  it('reads a never-indexed literal and a multi-byte integer', () => {
    const decoder = new HpackDecoder();
    // Never indexed, name by static index 23 (authorization): 0001 1111 + 8 (15 + 8 = 23).
    expect(decodeAll(decoder, hex('1f08 0373 6563'))).toEqual([['authorization', 'sec']]);
  });

  it.each([
    ['80', 'expected a table index >= 1, found index 0'],
    ['ff80', 'expected the rest of an integer, found the end of the block'],
    ['ffffffffffff0f', 'expected an integer below 2^32'],
    ['400a 6162', 'expected a 10-octet string, found 2 octets left in the block'],
    ['3fe2 1f', 'expected a table size of at most 4096, found 4097'],
    ['82 20', 'expected a dynamic table size update at the start of a block'],
    ['0085 ffff ffff ff', 'HPACK: expected a valid Huffman-coded string'],
  ])('fails the block %s with a COMPRESSION_ERROR: %s', (block, message) => {
    let error: unknown;
    try {
      decodeAll(new HpackDecoder(), hex(block));
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 9, message: expect.stringContaining(message) });
  });
});
