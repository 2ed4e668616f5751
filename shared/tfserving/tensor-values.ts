import { MessageError } from '../errors.js';
import { bytesPerElement, type DType } from './dtype.js';
import type { TensorProto } from './messages.js';

/** Element values of a tensor, by dtype: typed arrays for numbers (DT_INT64 as BigInt64Array), byte strings for DT_STRING. */
export type TensorValues =
  Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array | Uint8Array[];

export interface Tensor {
  dtype: DType;
  shape: number[];
  values: TensorValues;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

type NumericArray = Exclude<TensorValues, Uint8Array[]>;

function allocate(dtype: DType, n: number): NumericArray {
  switch (dtype) {
    case 'DT_FLOAT':
    case 'DT_HALF':
    case 'DT_BFLOAT16':
      return new Float32Array(n);
    case 'DT_DOUBLE':
      return new Float64Array(n);
    case 'DT_INT32':
      return new Int32Array(n);
    case 'DT_INT16':
      return new Int16Array(n);
    case 'DT_INT8':
      return new Int8Array(n);
    case 'DT_UINT8':
    case 'DT_BOOL':
      return new Uint8Array(n);
    case 'DT_INT64':
      return new BigInt64Array(n);
    default:
      throw new MessageError(`tensor of ${dtype}: reading its values is not supported`, {
        hint: 'the project reads FLOAT, DOUBLE, HALF, BFLOAT16, INT8/16/32/64, UINT8, BOOL and STRING tensors',
      });
  }
}

/** IEEE half (or bfloat16) bits to a number. */
function halfBitsToNumber(bits: number, dtype: DType): number {
  if (dtype === 'DT_BFLOAT16') return new Float32Array(new Uint32Array([(bits & 0xffff) << 16]).buffer)[0] ?? 0;
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function fromContent(tensor: TensorProto, content: Uint8Array, n: number): NumericArray {
  const width = bytesPerElement(tensor.dtype);
  if (width === undefined || content.length !== n * width) {
    throw new MessageError(
      `tensor_content of a ${tensor.dtype} tensor of shape [${tensor.shape.join(',')}] has ${content.length} bytes, ` +
        `expected ${width === undefined ? 'none' : n * width}`,
    );
  }
  if (tensor.dtype === 'DT_HALF' || tensor.dtype === 'DT_BFLOAT16') {
    const bits = new DataView(content.buffer, content.byteOffset, content.length);
    return Float32Array.from({ length: n }, (_, i) => halfBitsToNumber(bits.getUint16(i * 2, true), tensor.dtype));
  }
  // Copy into a fresh buffer: the content may sit at an unaligned offset inside the received message.
  const values = allocate(tensor.dtype, n);
  new Uint8Array(values.buffer).set(content);
  return values;
}

/** TensorFlow repeats the last value when a *_val field holds fewer values than the shape needs. */
function fill<T>(values: readonly T[], n: number, label: string): T[] {
  if (values.length > n) throw new MessageError(`${label} holds ${values.length} values, the shape has ${n} elements`);
  if (values.length === n || values.length === 0) return [...values];
  const last = values[values.length - 1] as T;
  return [...values, ...Array.from({ length: n - values.length }, () => last)];
}

/** The values of a TensorProto, from tensor_content or from the typed *_val field, whichever it carries. */
export function readTensor(tensor: TensorProto): Tensor {
  const n = elementCount(tensor.shape);
  const shape = [...tensor.shape];
  if (tensor.dtype === 'DT_STRING') {
    return { dtype: tensor.dtype, shape, values: fill(tensor.stringVal ?? [], n, 'string_val') };
  }
  if (tensor.tensorContent !== undefined)
    return { dtype: tensor.dtype, shape, values: fromContent(tensor, tensor.tensorContent, n) };
  const values = allocate(tensor.dtype, n);
  const dtype = tensor.dtype;
  if (values instanceof BigInt64Array) {
    values.set(fill(tensor.int64Val ?? [], n, 'int64_val').map((v) => BigInt(v)));
  } else if (dtype === 'DT_HALF' || dtype === 'DT_BFLOAT16') {
    values.set(fill(tensor.halfVal ?? [], n, 'half_val').map((b) => halfBitsToNumber(b, dtype)));
  } else if (dtype === 'DT_BOOL') {
    values.set(fill(tensor.boolVal ?? [], n, 'bool_val').map((b) => (b ? 1 : 0)));
  } else {
    const field = dtype === 'DT_FLOAT' ? 'floatVal' : dtype === 'DT_DOUBLE' ? 'doubleVal' : 'intVal';
    values.set(fill(tensor[field] ?? [], n, field));
  }
  return { dtype, shape, values };
}

/** A TensorProto carrying `values` as tensor_content (or string_val for DT_STRING). */
export function tensorProto(dtype: DType, shape: number[], values: TensorValues): TensorProto {
  if (Array.isArray(values)) return { dtype, shape, stringVal: values };
  if (bytesPerElement(dtype) !== values.BYTES_PER_ELEMENT) {
    throw new MessageError(`${values.constructor.name} values cannot be written as ${dtype} tensor_content`);
  }
  return { dtype, shape, tensorContent: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}
