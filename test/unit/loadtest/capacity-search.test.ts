import { describe, expect, it } from 'vitest';
import { judgeProbe, searchCapacity, type CapacityConfig } from '../../../loadtest/capacity-search.js';
import { summaryText } from '../../../loadtest/outputs/console.js';
import { reportHtml } from '../../../loadtest/outputs/report.js';
import { KEPT_UP } from './outputs/summary-fixture.js';
import { SUMMARY_SCHEMA, type Summary } from '../../../loadtest/summary.js';

const config: CapacityConfig = { p99BoundMs: 100, errorsBound: 0.01, startRps: 100, maxProbes: 12 };

/** A probe's summary as the engine would give it: `rps` offered and achieved over 10 s, with these figures. */
function probeSummary(rps: number, f: { p99?: number | null; late?: number; dropped?: number; failed?: number } = {}) {
  const total = rps * 10;
  const p99 = f.p99 === undefined ? 10 : f.p99;
  const summary: Summary = {
    schema: SUMMARY_SCHEMA,
    scenario: null,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:10.000Z',
    target: { address: 'x:1', protocol: 'grpc', model: 'm', signature: 's', version: null },
    load: { kind: 'open', stages: [{ durationMs: 10_000, rate: rps }], maxInFlight: 1000, description: '' },
    warmupMs: 0,
    durationMs: 10_000,
    measuredMs: 10_000,
    requests: {
      total,
      ok: total - (f.failed ?? 0),
      failed: f.failed ?? 0,
      errorRatio: (f.failed ?? 0) / total,
      late: f.late ?? 0,
      dropped: f.dropped ?? 0,
      warmup: 0,
      rps,
      bytesSent: 0,
      bytesReceived: 0,
    },
    latencyMs: { count: total, min: 1, mean: 5, stdev: 1, p50: 5, p90: 8, p95: 9, p99, 'p99.9': p99, max: p99 },
    failures: [],
    series: Array.from({ length: 10 }, (_, second) => ({
      second,
      requests: rps,
      failures: 0,
      target: rps,
      p50: 5,
      p95: 9,
      p99,
      'p99.9': p99,
      max: p99,
    })),
    generator: KEPT_UP,
    thresholds: [],
    stopped: null,
    passed: true,
    histogram: '',
  };
  return summary;
}

/** A server that holds p99 10 ms up to `capacity` req/s, and 500 ms beyond. */
const server = (capacity: number) => async (rps: number) => probeSummary(rps, { p99: rps <= capacity ? 10 : 500 });

describe('judgeProbe', () => {
  it('passes a probe within both bounds', () => {
    expect(judgeProbe(probeSummary(100), 100, config)).toMatchObject({ valid: true, passed: true });
  });

  it('fails a probe over the p99 bound or the errors bound, naming which', () => {
    expect(judgeProbe(probeSummary(100, { p99: 150 }), 100, config)).toMatchObject({
      valid: true,
      passed: false,
      reason: 'p99 150 ms > 100 ms',
    });
    expect(judgeProbe(probeSummary(100, { failed: 20 }), 100, config).reason).toBe('errors 2% > 1%');
  });

  it('fails a probe whose p99 is within the bound overall but over it in its last seconds (still rising)', () => {
    const summary = probeSummary(100, { p99: 90 });
    const rising = { ...summary, series: summary.series.map((p) => ({ ...p, p99: p.second >= 8 ? 300 : 20 })) };
    expect(judgeProbe(rising, 100, config)).toMatchObject({ valid: true, passed: false });
    expect(judgeProbe(rising, 100, config).reason).toContain('still rising');
  });

  it('marks a probe invalid when more than 1% of its requests left late', () => {
    const judged = judgeProbe(probeSummary(100, { late: 11 }), 100, config);
    expect(judged).toMatchObject({ valid: false, passed: false });
    expect(judged.reason).toContain('late');
    expect(judgeProbe(probeSummary(100, { late: 10 }), 100, config).valid).toBe(true);
  });

  it("counts drops as the generator's while the latency holds, and as the server's once it does not", () => {
    expect(judgeProbe(probeSummary(100, { dropped: 50 }), 100, config)).toMatchObject({ valid: false });
    expect(judgeProbe(probeSummary(100, { dropped: 50, p99: 900 }), 100, config)).toMatchObject({
      valid: true,
      passed: false,
    });
  });
});

describe('searchCapacity', () => {
  it('doubles until a probe fails, then bisects the bracket geometrically to within 5%', async () => {
    const { capacity, summary } = await searchCapacity(config, server(1000));
    expect(capacity.probes.map((p) => p.rps)).toEqual([100, 200, 400, 800, 1600, 1131.37, 951.37, 1037.47, 993.49]);
    expect(capacity.limit).toBe('server');
    expect(capacity.rps).toBe(993.49);
    expect(summary.requests.rps).toBe(993.49);
    expect(summary.capacity).toBe(capacity);
    expect(summary.passed).toBe(true);
  });

  it('halves the rate while the first probes fail', async () => {
    const { capacity } = await searchCapacity({ ...config, startRps: 1000 }, server(300));
    expect(capacity.probes.slice(0, 3).map((p) => [p.rps, p.passed])).toEqual([
      [1000, false],
      [500, false],
      [250, true],
    ]);
    expect(capacity.limit).toBe('server');
    expect(capacity.rps! / 300).toBeGreaterThan(1 / 1.05);
    expect(capacity.rps!).toBeLessThanOrEqual(300);
  });

  it('stops at the probe budget and says the bracket is still open', async () => {
    const { capacity, summary } = await searchCapacity({ ...config, maxProbes: 6 }, server(1000));
    expect(capacity.probes).toHaveLength(6);
    expect(capacity.limit).toBe('probes');
    expect(capacity.verdict).toContain('between 800 and 1131.37 req/s');
    expect(summary.passed).toBe(false);
  });

  it('tries an invalid probe again once, and carries on when the generator keeps up the second time', async () => {
    let calls = 0;
    const flaky = async (rps: number) =>
      probeSummary(rps, { late: ++calls === 2 ? rps : 0, p99: rps <= 1000 ? 10 : 500 });
    const { capacity } = await searchCapacity(config, flaky);
    expect(capacity.probes.slice(0, 3).map((p) => [p.rps, p.valid])).toEqual([
      [100, true],
      [200, false],
      [200, true],
    ]);
    expect(capacity.limit).toBe('server');
  });

  it('ends when the generator falls behind twice at a rate, never counting that rate as the capacity', async () => {
    const starved = async (rps: number) => probeSummary(rps, { late: rps >= 400 ? rps * 5 : 0 });
    const { capacity, summary } = await searchCapacity(config, starved);
    expect(capacity.probes.map((p) => [p.rps, p.valid])).toEqual([
      [100, true],
      [200, true],
      [400, false],
      [400, false],
    ]);
    expect(capacity.limit).toBe('generator');
    expect(capacity.rps).toBe(200);
    expect(capacity.verdict).toMatch(/^the generator, not the server, was the limit at 400 req\/s/);
    expect(summary.passed).toBe(false);
  });

  it('is shown in the report (the curve with the bound and the capacity, every probe) and on the console', async () => {
    const { summary } = await searchCapacity(config, server(1000));
    const html = reportHtml(summary);
    expect(html).toContain('<h2>Capacity</h2>');
    expect(html).toContain('aria-label="Latency against throughput (valid probes)"');
    expect(html).toContain('>p99 bound</text>');
    expect(html).toContain('>capacity</text>');
    expect(html.match(/<td>(held|over|INVALID)<\/td>/g)).toHaveLength(summary.capacity!.probes.length);
    expect(summaryText(summary)).toContain('capacity 993.49 req/s within p99 <= 100 ms, errors <= 1.00% (9 probes)');
  });
});
