/**
 * The Mann–Whitney U test and the Hodges–Lehmann shift on weighted samples: a sample is a list of distinct values
 * with their counts, which is what an HDR histogram is (one value per bucket). The rank sums are computed exactly
 * from the counts, ties sharing their mid-rank, so a histogram of a million requests costs as much as its few
 * hundred buckets.
 */

/** Distinct values, ascending, each with how many observations it has (> 0). */
export type WeightedSample = ReadonlyArray<readonly [value: number, count: number]>;

export interface MannWhitney {
  /** U of the first sample: pairs (x, y) with x > y, ties counting one half. */
  u: number;
  /** One-sided p-value of "the first sample is stochastically larger": P(U ≥ u) under the null. */
  p: number;
  /** 'exact' (the permutation distribution, few observations) or 'normal' (tie-corrected, with continuity correction). */
  method: 'exact' | 'normal';
  /** The standard score of the normal approximation; null when exact. */
  z: number | null;
  n1: number;
  n2: number;
}

/** Up to this many observations in all, the p-value is the exact permutation one (with ties); beyond, the normal one. */
export const EXACT_MAX_OBSERVATIONS = 60;

/** A weighted sample from plain observations. */
export function weightedSample(values: readonly number[]): WeightedSample {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a - b);
}

export function sampleSize(sample: WeightedSample): number {
  return sample.reduce((n, [, c]) => n + c, 0);
}

/** The lower median of a weighted sample; NaN when empty. */
export function sampleMedian(sample: WeightedSample): number {
  const half = sampleSize(sample) / 2;
  let seen = 0;
  for (const [value, count] of sample) {
    seen += count;
    if (seen >= half) return value;
  }
  return NaN;
}

/** Tie groups of both samples merged, ascending: [count in x, count in y]. */
function tieGroups(x: WeightedSample, y: WeightedSample): Array<[number, number]> {
  const groups: Array<[number, number]> = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    const xv = x[i]?.[0] ?? Infinity;
    const yv = y[j]?.[0] ?? Infinity;
    if (xv === yv) groups.push([x[i++]?.[1] ?? 0, y[j++]?.[1] ?? 0]);
    else if (xv < yv) groups.push([x[i++]?.[1] ?? 0, 0]);
    else groups.push([0, y[j++]?.[1] ?? 0]);
  }
  return groups;
}

/** Standard normal upper tail, Q(z) = P(Z ≥ z), to a relative error below 1.2e-7 even far in the tail. */
export function normalUpperTail(z: number): number {
  // erfc by Chebyshev fitting (Numerical Recipes' erfcc), Q(z) = erfc(z / √2) / 2.
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const poly =
    -x * x -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(poly);
  return x >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/**
 * P(rank sum of n1 draws ≥ observed) when n1 of the pooled observations are drawn at random: the permutation
 * distribution, by counting subsets over doubled mid-ranks (integers, so ties are exact).
 */
function exactUpperTail(doubledRanks: number[], n1: number, observed: number): number {
  const maxSum = doubledRanks.reduce((s, r) => s + r, 0);
  // ways[k][s]: subsets of k observations so far whose doubled ranks sum to s (as floats: only ratios are used).
  const ways = Array.from({ length: n1 + 1 }, () => new Float64Array(maxSum + 1));
  (ways[0] as Float64Array)[0] = 1;
  for (const rank of doubledRanks) {
    for (let k = n1; k >= 1; k--) {
      const into = ways[k] as Float64Array;
      const from = ways[k - 1] as Float64Array;
      for (let s = maxSum; s >= rank; s--) into[s] = (into[s] as number) + (from[s - rank] as number);
    }
  }
  const all = ways[n1] as Float64Array;
  let total = 0;
  let tail = 0;
  for (let s = 0; s <= maxSum; s++) {
    total += all[s] as number;
    if (s >= observed) tail += all[s] as number;
  }
  return tail / total;
}

/**
 * One-sided Mann–Whitney U test that x is stochastically larger than y. Undefined when either sample is empty.
 * Few observations (≤ EXACT_MAX_OBSERVATIONS): the exact permutation p-value; otherwise the normal approximation
 * with the tie-corrected variance, n1·n2/12 · ((N + 1) − Σ(t³ − t) / (N(N − 1))), and a continuity correction.
 */
export function mannWhitney(x: WeightedSample, y: WeightedSample): MannWhitney | undefined {
  const n1 = sampleSize(x);
  const n2 = sampleSize(y);
  if (n1 === 0 || n2 === 0) return undefined;
  const n = n1 + n2;
  const groups = tieGroups(x, y);
  let below = 0;
  let rankSum = 0;
  let ties = 0;
  for (const [a, b] of groups) {
    const t = a + b;
    rankSum += a * (below + (t + 1) / 2);
    ties += t * t * t - t;
    below += t;
  }
  const u = rankSum - (n1 * (n1 + 1)) / 2;
  if (n <= EXACT_MAX_OBSERVATIONS) {
    let seen = 0;
    const doubled: number[] = [];
    for (const [a, b] of groups) {
      const t = a + b;
      for (let k = 0; k < t; k++) doubled.push(2 * seen + t + 1);
      seen += t;
    }
    return { u, p: exactUpperTail(doubled, n1, Math.round(2 * rankSum)), method: 'exact', z: null, n1, n2 };
  }
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)));
  if (variance <= 0) return { u, p: 1, method: 'normal', z: 0, n1, n2 }; // every observation tied: no evidence
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return { u, p: normalUpperTail(z), method: 'normal', z, n1, n2 };
}

/**
 * The Hodges–Lehmann shift of x over y: the (lower) median of all n1·n2 differences x − y, the shift estimate that
 * goes with the Mann–Whitney test. Found by bisection on the shift, counting the pairs at or below it with two
 * pointers over the sorted values, so it costs O((k1 + k2) · 64) for k1 and k2 distinct values. NaN when a sample
 * is empty.
 */
export function hodgesLehmann(x: WeightedSample, y: WeightedSample): number {
  const n1 = sampleSize(x);
  const n2 = sampleSize(y);
  if (n1 === 0 || n2 === 0) return NaN;
  const half = (n1 * n2) / 2;
  /** Pairs with x − y ≤ d, that is y ≥ x − d: all of y but those below x − d. */
  const atOrBelow = (d: number): number => {
    let pairs = 0;
    let j = 0;
    let yBelow = 0;
    for (const [xv, xc] of x) {
      for (let next = y[j]; next && next[0] < xv - d; next = y[++j]) yBelow += next[1];
      pairs += xc * (n2 - yBelow);
    }
    return pairs;
  };
  let lo = (x[0] as readonly [number, number])[0] - (y[y.length - 1] as readonly [number, number])[0];
  let hi = (x[x.length - 1] as readonly [number, number])[0] - (y[0] as readonly [number, number])[0];
  for (let k = 0; k < 64 && hi - lo > 1e-9 * Math.max(1, Math.abs(hi)); k++) {
    const mid = (lo + hi) / 2;
    if (atOrBelow(mid) >= half) hi = mid;
    else lo = mid;
  }
  return hi;
}
