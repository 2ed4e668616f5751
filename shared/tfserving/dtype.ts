/** The TensorFlow data types the project reads and writes, by their DataType enum names. */
export const DATA_TYPES = {
  DT_INVALID: 0,
  DT_FLOAT: 1,
  DT_DOUBLE: 2,
  DT_INT32: 3,
  DT_UINT8: 4,
  DT_INT16: 5,
  DT_INT8: 6,
  DT_STRING: 7,
  DT_COMPLEX64: 8,
  DT_INT64: 9,
  DT_BOOL: 10,
  DT_BFLOAT16: 14,
  DT_HALF: 19,
} as const;

export type DType = keyof typeof DATA_TYPES;

const BYTES_PER_ELEMENT: Partial<Record<DType, number>> = {
  DT_FLOAT: 4,
  DT_DOUBLE: 8,
  DT_INT32: 4,
  DT_UINT8: 1,
  DT_INT16: 2,
  DT_INT8: 1,
  DT_COMPLEX64: 8,
  DT_INT64: 8,
  DT_BOOL: 1,
  DT_BFLOAT16: 2,
  DT_HALF: 2,
};

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.hasOwn(DATA_TYPES, value);
}

/** Bytes per element in tensor_content; undefined for DT_STRING and DT_INVALID, which have no fixed width. */
export function bytesPerElement(dtype: DType): number | undefined {
  return BYTES_PER_ELEMENT[dtype];
}

/** TensorFlow's short name of a type, as its runtime errors print it: DT_FLOAT -> "float". */
export function dtypeShortName(dtype: DType): string {
  return dtype === 'DT_STRING' ? 'string' : dtype.slice(3).toLowerCase();
}

/** The dtype name for a DataType number off the wire; an unknown number stays visible in the name. */
export function dtypeFromNumber(value: number): DType {
  const found = (Object.keys(DATA_TYPES) as DType[]).find((k) => DATA_TYPES[k] === value);
  if (found === undefined) throw new RangeError(`unsupported tensorflow.DataType ${value}`);
  return found;
}
