import { describe, expect, it } from 'vitest';
import { GATE_DEFAULTS, judgeCandidate } from '../../../../shared/gate/index.js';
import { arm } from '../../../support/arm-measurement.js';

describe('judgeCandidate', () => {
  it('passes a candidate drawn from the same distribution as the baseline', () => {
    const verdict = judgeCandidate(arm({ seed: 1 }), arm({ seed: 2 }));
    expect(verdict.passed).toBe(true);
    expect(verdict.tests?.latency).toMatchObject({ method: 'mann-whitney-normal', regressed: false });
    expect(verdict.tests?.latency?.p).toBeGreaterThan(GATE_DEFAULTS.alpha);
    expect(Math.abs(verdict.deltas?.p50 ?? 1)).toBeLessThan(0.03);
    expect(verdict.reasons[0]).toBe('thresholds held');
    expect(verdict.reasons[1]).toMatch(
      /^latency [+-]\d+\.\d% \(Hodges-Lehmann shift; p50 .* ms vs .* ms.*\), Mann-Whitney p=.*: no regression$/,
    );
  });

  it('fails a candidate 10% slower, and says by how much', () => {
    const verdict = judgeCandidate(arm({ seed: 1, medianMs: 44 }), arm({ seed: 2 }));
    expect(verdict.passed).toBe(false);
    expect(verdict.tests?.latency?.regressed).toBe(true);
    expect(verdict.tests?.latency?.p).toBeLessThan(1e-6);
    expect(verdict.tests?.latency?.effect).toBeGreaterThan(0.07);
    expect(verdict.tests?.latency?.effect).toBeLessThan(0.13);
    expect(verdict.deltas?.p50).toBeGreaterThan(0.07);
    expect(verdict.reasons[1]).toMatch(/^latency \+\d+\.\d% .*Mann-Whitney p=\d\.\de-\d+: slower$/);
  });

  it('passes a tiny shift on a huge sample: significant, but within the tolerance', () => {
    const verdict = judgeCandidate(
      arm({ seed: 1, medianMs: 40.6, requests: 200_000 }),
      arm({ seed: 2, requests: 200_000 }),
    );
    expect(verdict.tests?.latency?.p).toBeLessThan(GATE_DEFAULTS.alpha);
    expect(verdict.tests?.latency?.effect).toBeLessThan(GATE_DEFAULTS.tolerance);
    expect(verdict.passed).toBe(true);
    expect(verdict.reasons[1]).toMatch(/significant but within the 5\.0% tolerance$/);
    // A tighter tolerance makes the same shift a regression.
    expect(
      judgeCandidate(arm({ seed: 1, medianMs: 40.6, requests: 200_000 }), arm({ seed: 2, requests: 200_000 }), {
        tolerance: 0.005,
      }).passed,
    ).toBe(false);
  });

  it('finds nothing between two arms whose latencies all tie', () => {
    const verdict = judgeCandidate(arm({ seed: 1, spread: 0 }), arm({ seed: 2, spread: 0 }));
    expect(verdict.tests?.latency).toMatchObject({ p: 1, effect: 0, regressed: false });
    expect(verdict.passed).toBe(true);
  });

  it('does not compare the latency of an arm without successful requests, and fails on its errors', () => {
    const verdict = judgeCandidate(arm({ seed: 1, failures: 4000 }), arm({ seed: 2 }));
    expect(verdict.tests?.latency).toBeNull();
    expect(verdict.reasons[1]).toBe(
      'latency not compared: the candidate has no successful request in its measured span',
    );
    expect(verdict.tests?.errors?.regressed).toBe(true);
    expect(verdict.deltas?.errors).toBe(1);
    expect(verdict.passed).toBe(false);
  });

  it('fails a candidate with more errors beyond the tolerance, not one with a few', () => {
    expect(judgeCandidate(arm({ seed: 1, failures: 200 }), arm({ seed: 2 })).tests?.errors).toMatchObject({
      regressed: true,
      effect: 0.05,
    });
    const few = judgeCandidate(arm({ seed: 1, failures: 2 }), arm({ seed: 2 }));
    expect(few.tests?.errors?.regressed).toBe(false);
    expect(few.passed).toBe(true);
  });

  it('fails a candidate whose per-second throughput is 10% lower, on full measured seconds only', () => {
    const base = [100, 101, 99, 100, 102, 98, 100, 101, 99, 100];
    const verdict = judgeCandidate(
      arm({ seed: 1, perSecond: base.map((n) => n * 0.9) }),
      arm({ seed: 2, perSecond: base }),
    );
    expect(verdict.tests?.throughput).toMatchObject({ method: 'mann-whitney-exact', regressed: true });
    expect(verdict.tests?.throughput?.effect).toBeCloseTo(-0.1, 6);
    expect(verdict.deltas?.rps).toBeCloseTo(-0.1, 6);
    expect(verdict.reasons[2]).toMatch(
      /^throughput -10\.0% \(90 vs 100 req\/s; per-second counts, 10 vs 10 s\), .*: lower$/,
    );
    expect(
      judgeCandidate(arm({ seed: 1, perSecond: base }), arm({ seed: 2, perSecond: base })).tests?.throughput?.regressed,
    ).toBe(false);
  });

  it('compares capacities in a capacity search, and not the latencies of probes at different rates', () => {
    const lower = judgeCandidate(arm({ seed: 1, capacityRps: 80 }), arm({ seed: 2, capacityRps: 100 }));
    expect(lower.tests?.throughput).toMatchObject({ method: 'capacity', p: null, regressed: true });
    expect(lower.tests?.latency).toBeNull();
    expect(lower.deltas?.rps).toBeCloseTo(-0.2, 6);
    expect(lower.reasons[2]).toBe('capacity -20.0% (80 vs 100 req/s within the bounds): lower');
    expect(judgeCandidate(arm({ seed: 1, capacityRps: 97 }), arm({ seed: 2, capacityRps: 100 })).passed).toBe(true);
    expect(judgeCandidate(arm({ seed: 1, capacityRps: null }), arm({ seed: 2, capacityRps: 100 })).passed).toBe(false);
  });

  it('judges a first release on its thresholds alone, and says so', () => {
    const verdict = judgeCandidate(arm({ seed: 1 }), undefined);
    expect(verdict).toEqual({
      passed: true,
      reasons: ['thresholds held', 'no baseline (first release): judged on its thresholds only'],
      deltas: null,
      tests: null,
    });
    expect(judgeCandidate(arm({ seed: 1, thresholdsPassed: false }), undefined).passed).toBe(false);
  });

  it('fails a candidate whose thresholds failed even when it does not regress', () => {
    const verdict = judgeCandidate(arm({ seed: 1, thresholdsPassed: false }), arm({ seed: 2 }));
    expect(verdict.passed).toBe(false);
    expect(verdict.tests?.latency?.regressed).toBe(false);
    expect(verdict.reasons[0]).toBe('thresholds failed: p99<100ms');
  });
});
