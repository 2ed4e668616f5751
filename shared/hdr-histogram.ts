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

/** `build({ lowestDiscernibleValue, numberOfSignificantValueDigits, autoResize: true })`: 32-bit counts, growing to fit. */
export function newAutoResizeHistogram(lowestDiscernibleValue: number, significantDigits: number): JsHistogram {
  const histogram = new Int32Histogram(lowestDiscernibleValue, 2, significantDigits);
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
