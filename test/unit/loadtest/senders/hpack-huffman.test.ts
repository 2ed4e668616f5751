import { describe, expect, it } from 'vitest';
import { HuffmanDecoder, huffmanCodes } from '../../../../loadtest/senders/hpack-huffman.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s/g, ''), 'hex');
const decode = (bytes: Buffer): string => new HuffmanDecoder().decode(bytes, 0, bytes.length);

describe('HPACK Huffman code (RFC 7541 Appendix B)', () => {
  it('rebuilds the RFC table rows from the canonical lengths', () => {
    const codes = huffmanCodes();
    // Rows of Appendix B: symbol, code, length.
    expect(codes[0]).toEqual({ code: 0x1ff8, length: 13 });
    expect(codes[10]).toEqual({ code: 0x3ffffffc, length: 30 });
    expect(codes[32]).toEqual({ code: 0x14, length: 6 }); // ' '
    expect(codes[48]).toEqual({ code: 0x0, length: 5 }); // '0'
    expect(codes[97]).toEqual({ code: 0x3, length: 5 }); // 'a'
    expect(codes[122]).toEqual({ code: 0x7b, length: 7 }); // 'z'
    expect(codes[200]).toEqual({ code: 0x3ffffe2, length: 26 });
    expect(codes[255]).toEqual({ code: 0x3ffffee, length: 26 });
    expect(codes[256]).toEqual({ code: 0x3fffffff, length: 30 }); // EOS
  });

  it.each([
    ['f1e3 c2e5 f23a 6ba0 ab90 f4ff', 'www.example.com'],
    ['a8eb 1064 9cbf', 'no-cache'],
    ['25a8 49e9 5ba9 7d7f', 'custom-key'],
    ['25a8 49e9 5bb8 e8b4 bf', 'custom-value'],
    ['6402', '302'],
    ['aec3 771a 4b', 'private'],
    ['d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff', 'Mon, 21 Oct 2013 20:13:21 GMT'],
    ['9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3', 'https://www.example.com'],
    ['9bd9 ab', 'gzip'],
    [
      '94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
      'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1',
    ],
  ])('decodes the RFC 7541 Appendix C string %s', (bytes, text) => {
    expect(decode(hex(bytes))).toBe(text);
  });

  it('decodes every octet, from the longest codes to the shortest', () => {
    const codes = huffmanCodes();
    const symbols = Array.from({ length: 256 }, (_, i) => i);
    // All 256 symbols, coded as an encoder would: each code's bits, then ones up to a byte boundary.
    let bits = symbols.map((s) => codes[s]!.code.toString(2).padStart(codes[s]!.length, '0')).join('');
    bits += '1'.repeat((8 - (bits.length % 8)) % 8);
    const bytes = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
    expect([...decode(bytes)].map((c) => c.charCodeAt(0))).toEqual(symbols);
  });

  it.each([
    ['ff ff ff ff', 'the EOS symbol inside a string'],
    ['f1e3 c2e5 f23a 6ba0 ab90 f4ff ff', '15 bits of padding'],
    ['1e', 'padding that is not the EOS prefix'], // '0' (00000) then 110: not all ones
  ])('rejects %s: %s', (bytes, problem) => {
    expect(() => decode(hex(bytes))).toThrow(problem);
  });
});
