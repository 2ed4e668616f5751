import { describe, expect, it } from 'vitest';
import {
  EXACT_MAX_OBSERVATIONS,
  hodgesLehmann,
  mannWhitney,
  normalUpperTail,
  sampleMedian,
  weightedSample,
} from '../../../../shared/gate/index.js';

// Reference values from SciPy 1.17 (mannwhitneyu, permutation_test with n_resamples=inf).
const A = [
  11, 12, 11, 8, 12, 11, 9, 11, 11, 11, 10, 11, 9, 10, 9, 11, 10, 10, 9, 10, 10, 10, 13, 12, 5, 7, 10, 9, 11, 11,
];
const A2 = [15, 8, 10, 14, 12, 12, 9, 7, 11, 11, 8, 9, 10, 8, 10, 10, 10, 9, 11, 12];
const B = [11, 8, 11, 9, 12, 8, 12, 10, 8, 9, 10, 11, 8, 8, 10, 9, 10, 12, 7, 11, 12, 9, 8, 12, 11, 12, 9, 7, 10, 9];
const B2 = [12, 10, 7, 8, 12, 11, 9, 10, 11, 11];

describe('mannWhitney', () => {
  it('gives the exact p-value of a small sample: 3 above 3 is 1 of 20 orderings', () => {
    const test = mannWhitney(weightedSample([4, 5, 6]), weightedSample([1, 2, 3]));
    expect(test).toMatchObject({ u: 9, method: 'exact', n1: 3, n2: 3 });
    expect(test?.p).toBeCloseTo(0.05, 12);
    expect(mannWhitney(weightedSample([1, 2, 3]), weightedSample([4, 5, 6]))?.p).toBeCloseTo(1, 12);
  });

  it('counts ties at mid-rank in the exact permutation distribution', () => {
    const test = mannWhitney(weightedSample([1, 1, 2, 3, 3, 3]), weightedSample([1, 2, 2, 2, 3]));
    expect(test?.u).toBe(17);
    // The permutation p-value with ties; SciPy's "exact" ignores ties and says 0.396.
    expect(test?.p).toBeCloseTo(0.3528138528138528, 10);
  });

  it('uses the tie-corrected normal approximation on larger samples', () => {
    const test = mannWhitney(weightedSample([...A, ...A2]), weightedSample([...B, ...B2]));
    expect(test).toMatchObject({ u: 1103.5, method: 'normal' });
    expect(test?.p).toBeCloseTo(0.19740433863586987, 6);
  });

  it('switches to the normal approximation above EXACT_MAX_OBSERVATIONS', () => {
    const half = EXACT_MAX_OBSERVATIONS / 2;
    const x = weightedSample(Array.from({ length: half }, (_, i) => i));
    expect(mannWhitney(x, x)?.method).toBe('exact');
    expect(mannWhitney(x, weightedSample(Array.from({ length: half + 1 }, (_, i) => i)))?.method).toBe('normal');
  });

  it('gives the same answer for a weighted sample as for its observations one by one', () => {
    const x = weightedSample([...A, ...A2]);
    const expanded = weightedSample(x.flatMap(([v, c]) => Array<number>(c).fill(v)));
    expect(mannWhitney(x, weightedSample(B))).toEqual(mannWhitney(expanded, weightedSample(B)));
  });

  it('finds no evidence when every observation is tied, and none without observations', () => {
    expect(mannWhitney([[5, 1000]], [[5, 2000]])?.p).toBe(1);
    expect(mannWhitney([], [[5, 1]])).toBeUndefined();
  });
});

describe('normalUpperTail', () => {
  it('is accurate in the middle and far in the tail', () => {
    expect(normalUpperTail(0)).toBeCloseTo(0.5, 7);
    expect(normalUpperTail(1.959963984540054)).toBeCloseTo(0.025, 7);
    expect(normalUpperTail(-1.959963984540054)).toBeCloseTo(0.975, 7);
    // Q(6) = 9.8659e-10: relative accuracy matters for p-values like 3e-9.
    expect(normalUpperTail(6) / 9.865876450377e-10).toBeCloseTo(1, 5);
  });
});

describe('hodgesLehmann and sampleMedian', () => {
  it('estimates a location shift as the median of pairwise differences', () => {
    const y = weightedSample([10, 20, 30, 40, 50]);
    const x = weightedSample([13, 23, 33, 43, 53]);
    expect(hodgesLehmann(x, y)).toBeCloseTo(3, 6);
    expect(hodgesLehmann(y, x)).toBeCloseTo(-3, 6);
    expect(hodgesLehmann(y, y)).toBeCloseTo(0, 6);
  });

  it('weighs buckets by their counts', () => {
    expect(hodgesLehmann([[110, 1000]], [[100, 999]])).toBeCloseTo(10, 6);
    expect(
      sampleMedian([
        [1, 3],
        [2, 1],
        [9, 1],
      ]),
    ).toBe(1);
    expect(Number.isNaN(hodgesLehmann([], [[1, 1]]))).toBe(true);
  });
});
