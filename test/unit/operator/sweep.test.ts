import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../shared/deploy/index.js';
import type { LoadTestSummary } from '../../../shared/messages.js';
import type { RunRecord, ScenarioRecord } from '../../../shared/store.js';
import { judgeSweep, recommendation } from '../../../operator/sweep.js';
import { summaryFixture } from '../loadtest/outputs/summary-fixture.js';
import type { Summary } from '../../../loadtest/summary.js';

/** The sweep recommends as the pipeline promotes (shared/gate/best-candidate.ts), with its own p99 bound. */

const NAMES = ['2n-8c-16r-interop4', '4n-4c-8r-interop4', '8n-2c-4r-interop2'] as const;
const scenarios = await Promise.all(NAMES.map((n) => loadScenario(n)));

/** One scenario's load test: its summary, and the figures and verdict its run recorded. */
interface Measured {
  rps: number;
  p99: number;
  failed?: number;
  refused?: string;
}

function sweepOf(measured: Partial<Record<(typeof NAMES)[number], Measured>>) {
  const records: Record<string, ScenarioRecord> = {};
  const summaries = new Map<string, Summary>();
  for (const name of NAMES) {
    const m = measured[name];
    if (!m) {
      records[name] = { status: 'failed', stage: 'deploy', reason: 'pods never became ready' };
      continue;
    }
    const figures: LoadTestSummary = {
      requests: 1000,
      failures: m.failed ?? 0,
      rps: m.rps,
      p50Ms: 1,
      p95Ms: m.p99,
      p99Ms: m.p99,
      thresholdsPassed: true,
      failedThresholds: [],
    };
    const deltas = { p50: null, p95: null, p99: null, rps: null, errors: 0 };
    const verdict = m.refused ? { passed: false, reasons: [m.refused], deltas } : { passed: true, reasons: [], deltas };
    records[name] = { status: 'succeeded', figures, verdict };
    const base = summaryFixture();
    summaries.set(
      name,
      summaryFixture({
        requests: { ...base.requests, rps: m.rps, failed: m.failed ?? 0 },
        latencyMs: { ...base.latencyMs, p99: m.p99 },
      }),
    );
  }
  const run = { runId: 'r', status: 'succeeded', stages: {}, scenarios: records } as unknown as RunRecord;
  return judgeSweep(scenarios, run, summaries, 100);
}

describe('judgeSweep', () => {
  it('recommends the most throughput per vCPU among the scenarios the gate passed, without errors, p99 at most the bound', () => {
    const result = sweepOf({
      '2n-8c-16r-interop4': { rps: 300, p99: 40 },
      '4n-4c-8r-interop4': { rps: 900, p99: 30, refused: 'p99 +40% against the serving release' },
      '8n-2c-4r-interop2': { rps: 500, p99: 100 },
    });
    expect(result.recommended?.scenario).toBe('8n-2c-4r-interop2');
    expect(result.entries.find((e) => e.scenario === '4n-4c-8r-interop4')?.disqualified).toBe(
      'refused by the gate: p99 +40% against the serving release',
    );
    expect(result.why).toMatch(/^throughput-per-vcpu: .* p99 100 ms; next 2n-8c-16r-interop4/);
    expect(recommendation(result, 100)).toContain('Recommended: 8n-2c-4r-interop2');
  });

  it('breaks a tie in throughput per vCPU by the lower p99, as the promotion does, whatever the order given', () => {
    const result = sweepOf({
      // 30 req/s per vCPU each: 15 and 14 vCPU.
      '2n-8c-16r-interop4': { rps: 450, p99: 60 },
      '4n-4c-8r-interop4': { rps: 420, p99: 20 },
    });
    expect(result.recommended?.scenario).toBe('4n-4c-8r-interop4');
    expect(result.why).toContain('tied with 2n-8c-16r-interop4');
  });

  it('disqualifies errors, a p99 over the bound and a scenario that was never measured, and says why none is left', () => {
    const result = sweepOf({
      '2n-8c-16r-interop4': { rps: 400, p99: 60, failed: 2 },
      '4n-4c-8r-interop4': { rps: 400, p99: 101 },
    });
    expect(result.recommended).toBeUndefined();
    expect(result.entries.map((e) => e.disqualified)).toEqual([
      '2 errors',
      'p99 101 ms is over 100 ms',
      'no load test: failed at deploy: pods never became ready',
    ]);
    expect(result.why).toBe('no candidate was measured');
    expect(recommendation(result, 100)).toContain('No scenario kept p99 at most 100 ms without errors.');
  });
});
