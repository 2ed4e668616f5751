import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import {
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  newAutoResizeHistogram,
  type JsHistogram,
} from '../../../shared/hdr-histogram.js';

/** The same values into the package's own histogram (its index's build) and into ours. */
function both() {
  const theirs = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });
  const ours = newAutoResizeHistogram(1, 3);
  for (let v = 1; v < 30_000_000; v = Math.ceil(v * 1.013) + 1) {
    theirs.recordValueWithCount(v, (v % 5) + 1);
    ours.recordValueWithCount(v, (v % 5) + 1);
  }
  return { theirs, ours };
}

describe('the hdr-histogram-js parts imported directly', () => {
  it('build the histogram the package index builds, growing to fit', () => {
    const { theirs, ours } = both();
    expect(ours).toBeInstanceOf(theirs.constructor);
    expect(ours.autoResize).toBe(true);
    expect(ours.totalCount).toBe(theirs.totalCount);
    expect(ours.maxValue).toBe(theirs.maxValue);
    expect(ours.getValueAtPercentile(99.9)).toBe(theirs.getValueAtPercentile(99.9));
  });

  it("find every value's slot where the package does, integer or not, below 2^31 or above", () => {
    const { theirs, ours } = both();
    const values = [0, 0.5, 1.5, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 40 + 3, 1e15];
    for (let v = 0; v < 70_000; v++) values.push(v);
    for (let v = 70_000; v < 2 ** 31; v = Math.ceil(v * 1.0007) + 1) values.push(v - 1, v, v + 0.25);
    const package_ = theirs as unknown as JsHistogram; // build's declared type leaves the index out
    const differ = values.filter((v) => ours.countsArrayIndex(v) !== package_.countsArrayIndex(v));
    expect(differ).toEqual([]);
  });

  it('encode byte for byte as the index does, and each decodes the other', () => {
    const { theirs, ours } = both();
    const encoded = encodeIntoCompressedBase64(ours);
    expect(encoded).toBe(hdr.encodeIntoCompressedBase64(theirs));
    const decoded = decodeFromCompressedBase64(hdr.encodeIntoCompressedBase64(theirs));
    expect(decoded.totalCount).toBe(theirs.totalCount);
    expect(decoded.getValueAtPercentile(50)).toBe(theirs.getValueAtPercentile(50));
    expect(hdr.decodeFromCompressedBase64(encoded).totalCount).toBe(ours.totalCount);
  });

  it('decodes with surrounding whitespace, as the index does', () => {
    const { ours } = both();
    expect(decodeFromCompressedBase64(` ${encodeIntoCompressedBase64(ours)}\n`).totalCount).toBe(ours.totalCount);
  });
});
