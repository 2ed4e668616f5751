import { MessageError } from '../errors.js';
import type { DType } from './dtype.js';

/** NumPy .npy descr codes the project reads, little-endian or byte-wide only. */
const DESCR: Record<string, DType> = {
  '<f4': 'DT_FLOAT',
  '<f8': 'DT_DOUBLE',
  '<f2': 'DT_HALF',
  '<i4': 'DT_INT32',
  '<i2': 'DT_INT16',
  '|i1': 'DT_INT8',
  '|u1': 'DT_UINT8',
  '<i8': 'DT_INT64',
  '|b1': 'DT_BOOL',
};

export interface NpyArray {
  dtype: DType;
  shape: number[];
  /** Raw little-endian row-major bytes, ready for tensor_content. */
  data: Uint8Array;
}

/** Parses a NumPy .npy file (format versions 1-3, C order). */
export function parseNpy(bytes: Uint8Array, label: string): NpyArray {
  const magic = Buffer.from(bytes.subarray(0, 6)).toString('latin1');
  if (magic !== '\x93NUMPY') throw new MessageError(`${label}: not a .npy file (no \\x93NUMPY magic)`);
  const major = bytes[6] ?? 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = Buffer.from(bytes.subarray(start, start + headerLength)).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new MessageError(`${label}: unreadable .npy header ${JSON.stringify(header)}`);
  }
  const dtype = DESCR[descr];
  if (!dtype) {
    throw new MessageError(`${label}: .npy dtype '${descr}' is not supported`, {
      hint: `save one of ${Object.keys(DESCR).join(', ')}`,
    });
  }
  if (fortran === 'True')
    throw new MessageError(`${label}: Fortran-ordered .npy arrays are not supported`, {
      hint: 'save with np.ascontiguousarray',
    });
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  return { dtype, shape, data: bytes.subarray(start + headerLength) };
}
