import { describe, expect, it } from 'vitest';
import { HpackDecoder } from '../../../../loadtest/senders/hpack-decoder.js';
import { encodeHeaderBlock } from '../../../../loadtest/senders/hpack-encoder.js';

describe('HPACK encoding of the request block', () => {
  const fields: [string, string][] = [
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', '/tensorflow.serving.PredictionService/Predict'],
    [':authority', 'tfs:8500'],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
    ['grpc-timeout', '30000m'],
    ['x-long', 'v'.repeat(300)],
  ];

  it('uses static indexes and literals without indexing, which a decoder reads back', () => {
    const block = encodeHeaderBlock(fields);
    // :method POST and :scheme http are whole static entries; :path is a literal naming static entry 4.
    expect([...block.subarray(0, 3)]).toEqual([0x83, 0x86, 0x04]);
    // content-type is static entry 31: a 4-bit prefix of 15 plus 16.
    expect(block.includes(Buffer.from([0x0f, 0x10, 16]))).toBe(true);
    const out: string[] = [];
    const decoder = new HpackDecoder();
    decoder.decode(block, 0, block.length, out);
    decoder.decode(block, 0, block.length, out); // nothing was indexed: the same block decodes the same again
    expect(out).toEqual([...fields.flat(), ...fields.flat()]);
  });
});
