import { describe, expect, it } from 'vitest';
import { DEFAULT_COST, idleLatencyMs, runWorkMs, throughput } from '../../../../local/tfserving-sim/cost-model.js';

const cap = (cpus: number, intraOp: number, interOp: number) => ({ cpus, intraOp, interOp });

describe('cost model', () => {
  it('is calibrated to the anchor: one ResNet-50 example in ~17 ms on 8 vCPUs with 8 intra-op threads', () => {
    expect(idleLatencyMs(DEFAULT_COST, cap(8, 8, 4))).toBeCloseTo(17, 0);
  });

  it('more CPUs give more throughput', () => {
    const rates = [2, 4, 8, 16].map((cpus) => throughput(DEFAULT_COST, cap(cpus, cpus, 4), 64));
    for (let i = 1; i < rates.length; i++) expect(rates[i]).toBeGreaterThan(rates[i - 1] as number);
  });

  it('intra-op threads speed one request up with diminishing returns', () => {
    const latency = [1, 2, 4, 8].map((t) => idleLatencyMs(DEFAULT_COST, cap(8, t, 1)));
    const gains = latency.slice(1).map((l, i) => (latency[i] as number) - l);
    expect(gains[0]).toBeGreaterThan(gains[1] as number);
    expect(gains[1]).toBeGreaterThan(gains[2] as number);
    expect(gains[2]).toBeGreaterThan(0);
  });

  it('puts the best inter_op at 4 on 8 vCPUs and 2 on 2 vCPUs (intra_op = cores), as the seed found', () => {
    const best = (cpus: number) =>
      [2, 4, 8].reduce((a, b) =>
        throughput(DEFAULT_COST, cap(cpus, cpus, b), 64) > throughput(DEFAULT_COST, cap(cpus, cpus, a), 64) ? b : a,
      );
    expect(best(8)).toBe(4);
    expect(best(2)).toBe(2);
  });

  it('batching costs fewer CPU-ms per example', () => {
    expect(runWorkMs(DEFAULT_COST, 32) / 32).toBeLessThan(runWorkMs(DEFAULT_COST, 1) * 0.75);
    expect(throughput(DEFAULT_COST, cap(8, 8, 2), 2, 32)).toBeGreaterThan(
      throughput(DEFAULT_COST, cap(8, 8, 2), 2, 1) * 1.3,
    );
  });
});
