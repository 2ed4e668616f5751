import { MessageError } from '../errors.js';
import type { DType } from './dtype.js';
import type { TensorProto } from './messages.js';
import { readTensor, tensorProto, type TensorValues } from './tensor-values.js';

/**
 * Tensors as nested JSON lists, the way TF Serving's REST API writes them: [[1,2],[3,4]] is a 2x2 tensor;
 * DT_STRING values are strings, or {"b64": "..."} for binary data.
 */

type Leaf = number | boolean | string | { b64: string };

function isLeaf(value: unknown): value is Leaf {
  return !Array.isArray(value);
}

/** The shape of a nested list; every sub-list of one level must have the same length. */
export function nestedShape(value: unknown, label: string): number[] {
  const shape: number[] = [];
  for (let level: unknown = value; Array.isArray(level); level = level[0]) shape.push(level.length);
  const check = (node: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (!isLeaf(node)) throw new MessageError(`${label}: a list nested deeper than the first element's`);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new MessageError(
        `${label}: ragged nested list at depth ${depth}: expected ${shape[depth]} elements like the first, found ` +
          (Array.isArray(node) ? node.length : JSON.stringify(node)),
      );
    }
    for (const child of node) check(child, depth + 1);
  };
  check(value, 0);
  return shape;
}

function leafToString(leaf: Leaf, label: string): Uint8Array {
  if (typeof leaf === 'string') return new TextEncoder().encode(leaf);
  if (typeof leaf === 'object' && leaf !== null && typeof leaf.b64 === 'string') return Buffer.from(leaf.b64, 'base64');
  throw new MessageError(
    `${label}: expected a string or {"b64": ...} for a DT_STRING value, found ${JSON.stringify(leaf)}`,
  );
}

function leafToNumber(leaf: Leaf, label: string): number {
  if (typeof leaf === 'number') return leaf;
  if (typeof leaf === 'boolean') return leaf ? 1 : 0;
  throw new MessageError(`${label}: expected a number, found ${JSON.stringify(leaf)}`);
}

/** A nested JSON list to a TensorProto of `dtype` (numeric values go into tensor_content, strings into string_val). */
export function nestedToTensor(value: unknown, dtype: DType, label: string): TensorProto {
  const shape = nestedShape(value, label);
  const leaves = (shape.length === 0 ? [value] : (value as unknown[]).flat(shape.length - 1)) as Leaf[];
  if (dtype === 'DT_STRING')
    return tensorProto(
      dtype,
      shape,
      leaves.map((l) => leafToString(l, label)),
    );
  const numbers = leaves.map((l) => leafToNumber(l, label));
  switch (dtype) {
    case 'DT_FLOAT':
      return tensorProto(dtype, shape, Float32Array.from(numbers));
    case 'DT_DOUBLE':
      return tensorProto(dtype, shape, Float64Array.from(numbers));
    case 'DT_INT32':
      return tensorProto(dtype, shape, Int32Array.from(numbers));
    case 'DT_INT16':
      return tensorProto(dtype, shape, Int16Array.from(numbers));
    case 'DT_INT8':
      return tensorProto(dtype, shape, Int8Array.from(numbers));
    case 'DT_UINT8':
    case 'DT_BOOL':
      return tensorProto(dtype, shape, Uint8Array.from(numbers));
    case 'DT_INT64':
      return tensorProto(
        dtype,
        shape,
        BigInt64Array.from(numbers, (n) => BigInt(Math.trunc(n))),
      );
    default:
      throw new MessageError(`${label}: ${dtype} values cannot be given as JSON`);
  }
}

/** The shortest decimal that reads back as the same float32, as TF Serving prints floats (0.001, not 0.0010000000474974513). */
function shortestFloat32(value: number): number {
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

function toLeaves(values: TensorValues, dtype: DType): Leaf[] {
  if (Array.isArray(values)) {
    return values.map((v) => {
      const text = Buffer.from(v).toString('utf8');
      // Binary strings cannot ride in JSON text; TF Serving writes them as {"b64": ...}.
      return Buffer.from(text, 'utf8').equals(Buffer.from(v)) ? text : { b64: Buffer.from(v).toString('base64') };
    });
  }
  if (values instanceof BigInt64Array) return Array.from(values, Number);
  if (dtype === 'DT_BOOL') return Array.from(values as Uint8Array, (v) => v !== 0);
  if (values instanceof Float32Array) return Array.from(values, shortestFloat32);
  return Array.from(values as ArrayLike<number>);
}

/** A TensorProto to a nested JSON list (a scalar for rank 0). */
export function tensorToNested(tensor: TensorProto): unknown {
  const { dtype, shape, values } = readTensor(tensor);
  const leaves = toLeaves(values, dtype);
  const build = (depth: number, offset: number): unknown => {
    if (depth === shape.length) return leaves[offset];
    const size = shape[depth] ?? 0;
    const stride = shape.slice(depth + 1).reduce((n, d) => n * d, 1);
    return Array.from({ length: size }, (_, i) => build(depth + 1, offset + i * stride));
  };
  return build(0, 0);
}
