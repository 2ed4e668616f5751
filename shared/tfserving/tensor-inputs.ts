import { readFile } from 'node:fs/promises';
import { MessageError } from '../errors.js';
import { bytesPerElement } from './dtype.js';
import type { TensorProto, TensorSpec } from './messages.js';
import { nestedToTensor } from './nested-json.js';
import { parseNpy } from './npy.js';
import { elementCount } from './tensor-values.js';

/** Request tensors for a signature input: from an image, from random data, or from a .json / .npy file. */

function describe(spec: TensorSpec): string {
  return `input '${spec.name}' (${spec.dtype} [${spec.shape.join(',')}])`;
}

/**
 * An image file (JPEG, PNG, WebP...) decoded and resized to the input's [batch?, height, width, channels] shape, as
 * raw 0-255 pixel values (the seed's model does its own preprocessing), in DT_FLOAT or DT_UINT8 per the spec.
 */
export async function tensorFromImage(file: string, spec: TensorSpec): Promise<TensorProto> {
  const batched = spec.shape.length === 4;
  const [height, width, channels] = spec.shape.slice(batched ? 1 : 0);
  if (spec.shape.length < 3 || spec.shape.length > 4 || channels === undefined || ![1, 3, 4].includes(channels)) {
    throw new MessageError(`${describe(spec)} is not an image input`, {
      hint: 'an image input has shape [-1, height, width, 1|3|4] or [height, width, 1|3|4]',
    });
  }
  if (spec.dtype !== 'DT_FLOAT' && spec.dtype !== 'DT_UINT8') {
    throw new MessageError(`${describe(spec)}: images can fill DT_FLOAT or DT_UINT8 inputs, not ${spec.dtype}`);
  }
  // sharp (libvips) costs a quarter of a second of CPU to load: only a run from an image loads it.
  const { default: sharp } = await import('sharp');
  let image = sharp(file);
  if ((height ?? -1) > 0 && (width ?? -1) > 0) image = image.resize(width, height, { fit: 'fill' });
  image = channels === 1 ? image.grayscale() : channels === 4 ? image.ensureAlpha() : image.removeAlpha();
  const { data, info } = await image
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((err: unknown) => {
      throw new MessageError(`image ${file}: cannot decode it: ${String(err)}`, { cause: err });
    });
  const shape = [info.height, info.width, info.channels];
  const pixels = spec.dtype === 'DT_FLOAT' ? Float32Array.from(data) : new Uint8Array(data);
  return {
    dtype: spec.dtype,
    shape: batched ? [1, ...shape] : shape,
    tensorContent: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength),
  };
}

/** A tiny seedable PRNG (mulberry32), so a "random" request is the same in every run of a test or a load test. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The concrete shape of a spec for `batch` examples: the leading -1 becomes the batch size. */
export function concreteShape(spec: TensorSpec, batch: number): number[] {
  return spec.shape.map((d, i) => {
    if (d >= 0) return d;
    if (i === 0) return batch;
    throw new MessageError(`${describe(spec)} has an unknown dimension ${i} besides the batch dimension`, {
      hint: 'give the tensor from a file instead',
    });
  });
}

/** Random values for `batch` examples: floats in [0, 255) like pixels, integers in their type's small range. */
export function randomTensor(spec: TensorSpec, batch: number, seed = 1): TensorProto {
  const shape = concreteShape(spec, batch);
  const n = elementCount(shape);
  const next = prng(seed);
  if (spec.dtype === 'DT_STRING') {
    return {
      dtype: spec.dtype,
      shape,
      stringVal: Array.from({ length: n }, () => Uint8Array.from({ length: 8 }, () => next() * 256)),
    };
  }
  const width = bytesPerElement(spec.dtype);
  if (width === undefined) throw new MessageError(`${describe(spec)}: random ${spec.dtype} values are not supported`);
  const content = new Uint8Array(n * width);
  const view = new DataView(content.buffer);
  for (let i = 0; i < n; i++) {
    const r = next();
    if (spec.dtype === 'DT_FLOAT') view.setFloat32(i * 4, r * 255, true);
    else if (spec.dtype === 'DT_DOUBLE') view.setFloat64(i * 8, r * 255, true);
    else if (spec.dtype === 'DT_BOOL') content[i] = r < 0.5 ? 0 : 1;
    else content[i * width] = Math.floor(r * 100); // small non-negative integers, little-endian low byte
  }
  return { dtype: spec.dtype, shape, tensorContent: content };
}

function checkShape(tensor: TensorProto, spec: TensorSpec, file: string): TensorProto {
  // A file holding one example gets the batch dimension added.
  const shape =
    tensor.shape.length === spec.shape.length - 1 && spec.shape[0] === -1 ? [1, ...tensor.shape] : tensor.shape;
  const fits = shape.length === spec.shape.length && spec.shape.every((d, i) => d < 0 || d === shape[i]);
  if (!fits) {
    throw new MessageError(`${file}: a tensor of shape [${tensor.shape.join(',')}] does not fit ${describe(spec)}`);
  }
  return { ...tensor, shape };
}

/**
 * A tensor from a file: NumPy .npy (its dtype must be the input's), or JSON holding a nested list, or a TF Serving
 * REST body ({"instances": [...]} or {"inputs": ...}) for this one input.
 */
export async function tensorFromFile(file: string, spec: TensorSpec): Promise<TensorProto> {
  const bytes = await readFile(file);
  if (file.endsWith('.npy')) {
    const npy = parseNpy(bytes, file);
    if (npy.dtype !== spec.dtype)
      throw new MessageError(`${file}: holds ${npy.dtype}, ${describe(spec)} needs ${spec.dtype}`);
    return checkShape({ dtype: npy.dtype, shape: npy.shape, tensorContent: npy.data }, spec, file);
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new MessageError(`${file}: neither .npy nor valid JSON: ${String(err)}`, { cause: err });
  }
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    const body = json as Record<string, unknown>;
    const inputs = body['inputs'];
    const named = inputs !== null && typeof inputs === 'object' && !Array.isArray(inputs);
    json = body['instances'] ?? (named ? (inputs as Record<string, unknown>)[spec.name] : inputs);
    if (json === undefined) throw new MessageError(`${file}: no "instances" or "inputs" for ${describe(spec)}`);
  }
  return checkShape(nestedToTensor(json, spec.dtype, file), spec, file);
}
