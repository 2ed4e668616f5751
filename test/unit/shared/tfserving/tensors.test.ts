import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  nestedToTensor,
  randomTensor,
  readTensor,
  tensorFromFile,
  tensorFromImage,
  tensorToNested,
  type TensorSpec,
} from '../../../../shared/tfserving/index.js';

const imageSpec: TensorSpec = { name: 'image_input', dtype: 'DT_FLOAT', shape: [-1, 224, 224, 3] };

function npy(descr: string, shape: number[], data: Uint8Array): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11, ' ') + '\n';
  const prefix = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), data]);
}

describe('readTensor', () => {
  it('reads tensor_content as little-endian values, even at an unaligned offset', () => {
    const bytes = new Uint8Array(9);
    new DataView(bytes.buffer).setFloat32(1, 1.5, true);
    new DataView(bytes.buffer).setFloat32(5, -2, true);
    expect(readTensor({ dtype: 'DT_FLOAT', shape: [2], tensorContent: bytes.subarray(1) }).values).toEqual(
      new Float32Array([1.5, -2]),
    );
  });

  it('reads the typed *_val fields, repeating the last value as TensorFlow does', () => {
    expect(readTensor({ dtype: 'DT_FLOAT', shape: [2, 2], floatVal: [7] }).values).toEqual(
      new Float32Array([7, 7, 7, 7]),
    );
    expect(readTensor({ dtype: 'DT_INT64', shape: [2], int64Val: [5, 6] }).values).toEqual(new BigInt64Array([5n, 6n]));
    expect(readTensor({ dtype: 'DT_HALF', shape: [2], halfVal: [0x3c00, 0xc000] }).values).toEqual(
      new Float32Array([1, -2]),
    );
    expect(readTensor({ dtype: 'DT_BOOL', shape: [2], boolVal: [true, false] }).values).toEqual(new Uint8Array([1, 0]));
    const strings = readTensor({ dtype: 'DT_STRING', shape: [1], stringVal: [new Uint8Array([104, 105])] }).values;
    expect(strings).toEqual([new Uint8Array([104, 105])]);
  });

  it('refuses content whose size does not match the shape', () => {
    expect(() => readTensor({ dtype: 'DT_FLOAT', shape: [3], tensorContent: new Uint8Array(8) })).toThrow(
      'tensor_content of a DT_FLOAT tensor of shape [3] has 8 bytes, expected 12',
    );
  });
});

describe('nested JSON', () => {
  it('round-trips a tensor through nested lists, floats in their shortest form', () => {
    const tensor = nestedToTensor(
      [
        [0.1, 2],
        [3, 4],
      ],
      'DT_FLOAT',
      'x',
    );
    expect(tensor.shape).toEqual([2, 2]);
    expect(tensorToNested(tensor)).toEqual([
      [0.1, 2],
      [3, 4],
    ]);
    expect(tensorToNested(nestedToTensor([{ b64: '/wE=' }, 'hi'], 'DT_STRING', 's'))).toEqual([{ b64: '/wE=' }, 'hi']);
  });

  it('refuses ragged lists', () => {
    expect(() => nestedToTensor([[1, 2], [3]], 'DT_FLOAT', 'x')).toThrow(
      'x: ragged nested list at depth 1: expected 2 elements like the first, found 1',
    );
  });
});

describe('request tensors', () => {
  it('decodes and resizes an image to the signature shape as raw 0-255 floats', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tensors-'));
    const file = join(dir, 'red.png');
    await sharp({ create: { width: 50, height: 30, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } } })
      .png()
      .toFile(file);
    const tensor = await tensorFromImage(file, imageSpec);
    expect(tensor.shape).toEqual([1, 224, 224, 3]);
    expect(tensor.tensorContent?.length).toBe(602_112);
    expect(Array.from((readTensor(tensor).values as Float32Array).subarray(0, 6))).toEqual([255, 0, 0, 255, 0, 0]);
    const bytes = await tensorFromImage(file, { ...imageSpec, dtype: 'DT_UINT8', shape: [-1, 8, 8, 1] });
    expect(bytes.tensorContent?.length).toBe(64);
    await expect(tensorFromImage(file, { name: 'x', dtype: 'DT_FLOAT', shape: [-1, 10] })).rejects.toThrow(
      "input 'x' (DT_FLOAT [-1,10]) is not an image input",
    );
  });

  it('makes the same random tensor for the same seed, with the batch in the first dimension', () => {
    const a = randomTensor(imageSpec, 2, 7);
    expect(a.shape).toEqual([2, 224, 224, 3]);
    const same = (b: Uint8Array | undefined) => Buffer.from(a.tensorContent!).equals(Buffer.from(b!));
    expect(same(randomTensor(imageSpec, 2, 7).tensorContent)).toBe(true);
    expect(same(randomTensor(imageSpec, 2, 8).tensorContent)).toBe(false);
  });

  it('reads .npy and JSON files, adding the batch dimension to a single example', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tensors-'));
    const spec: TensorSpec = { name: 'x', dtype: 'DT_FLOAT', shape: [-1, 2] };
    await writeFile(join(dir, 'x.npy'), npy('<f4', [2], new Uint8Array(new Float32Array([1, 2]).buffer)));
    const fromNpy = await tensorFromFile(join(dir, 'x.npy'), spec);
    expect(readTensor(fromNpy)).toEqual({ dtype: 'DT_FLOAT', shape: [1, 2], values: new Float32Array([1, 2]) });
    await writeFile(
      join(dir, 'x.json'),
      JSON.stringify({
        instances: [
          [1, 2],
          [3, 4],
        ],
      }),
    );
    expect((await tensorFromFile(join(dir, 'x.json'), spec)).shape).toEqual([2, 2]);
    await writeFile(join(dir, 'bad.json'), '[[1, 2, 3]]');
    await expect(tensorFromFile(join(dir, 'bad.json'), spec)).rejects.toThrow(
      "does not fit input 'x' (DT_FLOAT [-1,2])",
    );
    await writeFile(join(dir, 'i.npy'), npy('<i4', [2], new Uint8Array(8)));
    await expect(tensorFromFile(join(dir, 'i.npy'), spec)).rejects.toThrow('holds DT_INT32');
  });
});
