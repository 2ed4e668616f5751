import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../../shared/deploy/index.js';
import {
  MACHINE_PRICES,
  bestCandidate,
  costPerMillion,
  nodeHourPrice,
  priceKey,
  type CandidateResult,
} from '../../../../shared/gate/index.js';

// 2n-8c: 2 × 7.5 vCPU = 15; 4n-4c: 4 × 3.5 = 14; 8n-2c: 8 × 1.5 = 12 (pods sized by shared/deploy/node-fit.ts).
const [big, mid, small] = await Promise.all(
  ['2n-8c-16r-interop4', '4n-4c-8r-interop4', '8n-2c-4r-interop2'].map((name) => loadScenario(name)),
);

function candidate(
  key: string,
  scenario: CandidateResult['scenario'] | undefined,
  rps: number,
  p99Ms: number,
  passed = true,
): CandidateResult {
  if (!scenario) throw new Error('scenario not loaded');
  return {
    key,
    scenario,
    verdict: { passed },
    figures: {
      requests: 1000,
      failures: 0,
      rps,
      p50Ms: 10,
      p95Ms: 20,
      p99Ms,
      thresholdsPassed: passed,
      failedThresholds: [],
    },
  };
}

describe('bestCandidate', () => {
  it('picks the most throughput per vCPU among the candidates that passed', () => {
    const best = bestCandidate([
      candidate('big', big, 150, 90), // 10 req/s per vCPU
      candidate('small', small, 180, 120), // 15
      candidate('mid', mid, 300, 50, false), // 21.4, but refused by the gate
    ]);
    expect(best).toMatchObject({ key: 'small', scenario: '8n-2c-4r-interop2' });
    expect(best.key && best.why).toBe(
      'throughput-per-vcpu: 15.00 req/s per vCPU (180 req/s on 12 vCPU), p99 120 ms; next big: 10.00 req/s per vCPU (150 req/s on 15 vCPU)',
    );
  });

  it('leaves out a candidate whose p99 is over the bound', () => {
    const list = [candidate('big', big, 150, 90), candidate('small', small, 180, 120)];
    expect(bestCandidate(list, { p99BoundMs: 100 }).key).toBe('big');
    expect(bestCandidate(list, { p99BoundMs: 80 })).toEqual({
      key: null,
      reason: 'no passing candidate held p99 under the bound (big 90 ms, small 120 ms)',
    });
  });

  it('uses the capacity when the candidates searched for one, and its p99 bound', () => {
    const searched = (c: CandidateResult, rps: number | null, bound: number): CandidateResult => ({
      ...c,
      figures: { ...c.figures, capacity: { rps, p99BoundMs: bound, errorsBound: 0.01, limit: 'server', verdict: '' } },
    });
    const best = bestCandidate([
      searched(candidate('big', big, 150, 90), 225, 200), // 15 per vCPU
      searched(candidate('small', small, 180, 120), 170, 100), // over its own bound
    ]);
    expect(best).toMatchObject({ key: 'big' });
  });

  it('breaks ties by lower p99, then fewer vCPU, then name, whatever the order given', () => {
    const a = candidate('a', big, 150, 90);
    const b = candidate('b', big, 150, 80);
    expect(bestCandidate([a, b]).key).toBe('b');
    expect(bestCandidate([b, a]).key).toBe('b');
    expect(bestCandidate([b, a]).key && (bestCandidate([b, a]) as { why: string }).why).toContain('tied with a');
    // Same rps per vCPU and p99: the smaller scenario (12 vCPU at 144 req/s = 12 per vCPU; 15 at 180).
    const smaller = candidate('z-small', small, 144, 90);
    const larger = candidate('a-big', big, 180, 90);
    expect(bestCandidate([larger, smaller]).key).toBe('z-small');
    expect(bestCandidate([candidate('y', big, 150, 90), candidate('x', big, 150, 90)]).key).toBe('x');
  });

  it('says why there is nothing to promote', () => {
    expect(bestCandidate([])).toEqual({ key: null, reason: 'no candidate was measured' });
    expect(bestCandidate([candidate('big', big, 150, 90, false)])).toEqual({
      key: null,
      reason: 'no candidate passed the gate (1 measured)',
    });
  });

  it('picks the lowest cost per million predictions with that objective', () => {
    // Both pay 16 vCPU and 32 GiB of n2-custom nodes ($0.673056 an hour): the faster one is cheaper per prediction.
    const best = bestCandidate([candidate('big', big, 150, 90), candidate('small', small, 180, 120)], {
      objective: 'cost-per-million',
    });
    expect(best).toMatchObject({ key: 'small' });
    expect(best.key && best.why).toMatch(
      /^cost-per-million: \$1\.04 per 1M predictions \(180 req\/s\), p99 120 ms; next big: \$1\.25/,
    );
    const unpriced = { ...big!, node: { ...big!.node, machineType: 'z9-standard-8' } };
    expect(bestCandidate([candidate('odd', unpriced, 500, 10)], { objective: 'cost-per-million' })).toEqual({
      key: null,
      reason: 'no price for the machine types of odd (shared/gate/prices.ts)',
    });
  });
});

describe('costPerMillion and the price table', () => {
  it('prices the nodes of a scenario for an hour over the predictions of that hour', () => {
    const node = 8 * 0.033174 + 16 * 0.004446;
    expect(nodeHourPrice(big!.node)).toBeCloseTo(node, 10);
    expect(costPerMillion(150, big!)).toBeCloseTo(((2 * node) / (150 * 3600)) * 1e6, 10);
    expect(costPerMillion(150, big!)).toBeCloseTo(1.2464, 4);
  });

  it('has no price for an unknown family or when nothing was served', () => {
    expect(costPerMillion(0, big!)).toBeNull();
    expect(
      costPerMillion(10, { replicas: 1, node: { machineType: 'z9-standard-8', vcpus: 8, memoryGiB: 32 } }),
    ).toBeNull();
  });

  it('reads the family of predefined and custom machine types', () => {
    expect(priceKey('n2-standard-8')).toBe('n2');
    expect(priceKey('n2-custom-8-16384')).toBe('n2-custom');
    expect(priceKey('n2-custom-8-16384-ext')).toBe('n2-custom');
    expect(priceKey('custom-4-8192')).toBe('n1-custom');
    expect(priceKey('e2-highcpu-16')).toBe('e2');
    // Google's published e2-standard-2 ($0.0670/h) and n2-standard-4 ($0.1942/h) follow from the rates.
    expect(nodeHourPrice({ machineType: 'e2-standard-2', vcpus: 2, memoryGiB: 8 })).toBeCloseTo(0.067, 4);
    expect(nodeHourPrice({ machineType: 'n2-standard-4', vcpus: 4, memoryGiB: 16 })).toBeCloseTo(0.1942, 4);
    expect(Object.values(MACHINE_PRICES).every((p) => p.vcpuHour > 0 && p.gibHour > 0)).toBe(true);
  });
});
