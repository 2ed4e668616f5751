import { createRequire } from 'node:module';
import type { JsHistogram } from 'hdr-histogram-js';
import type Int32HistogramModule from 'hdr-histogram-js/dist/Int32Histogram.js';
import type EncodingModule from 'hdr-histogram-js/dist/JsHistogram.encoding.js';

// The package is CommonJS: required, so that node and vitest (whose default-import interop differs) see the same.
const require = createRequire(import.meta.url);
const { default: Int32Histogram } = require('hdr-histogram-js/dist/Int32Histogram.js') as typeof Int32HistogramModule;
const encoding = require('hdr-histogram-js/dist/JsHistogram.encoding.js') as typeof EncodingModule;

/**
 * The parts of hdr-histogram-js the project uses, imported from the package's own modules: its index also loads
 * its WebAssembly build, its log reader and writer and every other histogram type, which cost a load test's
 * start-up about 45 ms of CPU (of 100 ms for the package). The same classes, and the same encoding, as the index's.
 */
export type { JsHistogram };

/**
 * The package's Int32Histogram, but a value's slot is found with integer arithmetic: the package takes a Math.log2
 * and two Math.pow for every value recorded, about 4% of the load generator's CPU on tiny requests. The same slot
 * for every integer below 2^31 (a test compares them over the whole range); any other value goes the package's way.
 */
class Int32LogLinearHistogram extends Int32Histogram {
  override countsArrayIndex(value: number): number {
    if (!(value >= 0 && value < 2 ** 31 && value === Math.floor(value))) return super.countsArrayIndex(value);
    const bucket = Math.max(31 - Math.clz32(value) - this.subBucketHalfCountMagnitude - this.unitMagnitude, 0);
    const subBucket = value >>> (bucket + this.unitMagnitude);
    return ((bucket + 1) << this.subBucketHalfCountMagnitude) + subBucket - this.subBucketHalfCount;
  }
}

/** `build({ lowestDiscernibleValue, numberOfSignificantValueDigits, autoResize: true })`: 32-bit counts, growing to fit. */
export function newAutoResizeHistogram(lowestDiscernibleValue: number, significantDigits: number): JsHistogram {
  const histogram = new Int32LogLinearHistogram(lowestDiscernibleValue, 2, significantDigits);
  histogram.autoResize = true;
  return histogram;
}

/** HdrHistogram's compressed base64 form (V2), readable by every HdrHistogram implementation. */
export function encodeIntoCompressedBase64(histogram: JsHistogram): string {
  return histogram.encodeIntoCompressedBase64();
}

export function decodeFromCompressedBase64(base64: string): JsHistogram {
  return encoding.doDecode(encoding.decompress(Buffer.from(base64.trim(), 'base64')));
}
