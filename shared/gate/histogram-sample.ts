import { decodeFromCompressedBase64 } from '../hdr-histogram.js';
import type { WeightedSample } from './mann-whitney.js';

/**
 * The latencies of a load test's summary (`summary.histogram`, HdrHistogram's compressed base64) as a weighted
 * sample: one value per non-empty bucket (its highest equivalent value, µs), with the bucket's count. Two
 * histograms of the same precision (the load test's: 3 significant digits) have the same buckets, so equal
 * latencies tie exactly across arms.
 */
export function histogramSample(base64: string): WeightedSample {
  const histogram = decodeFromCompressedBase64(base64);
  const sample: Array<[number, number]> = [];
  const values = histogram.recordedValuesIterator;
  values.reset();
  while (values.hasNext()) {
    const step = values.next();
    sample.push([step.valueIteratedTo, step.countAtValueIteratedTo]);
  }
  return sample;
}
