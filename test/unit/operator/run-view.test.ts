import { describe, expect, it } from 'vitest';
import { runDetail, runsTable } from '../../../operator/run-view.js';
import type { RunRecord } from '../../../shared/store.js';

const ok: RunRecord = {
  runId: '20261125-150000-aaaaaa',
  status: 'succeeded',
  createdAt: '2026-11-25T15:00:00.000Z',
  updatedAt: '2026-11-25T15:09:00.000Z',
  repository: 'o/r',
  tag: 'v1',
  stages: {
    webhook: { status: 'succeeded', durationMs: 14 },
    bake: { status: 'succeeded', durationMs: 65_300, details: { buildId: 'b-1' } },
    deploy: { status: 'succeeded', durationMs: 31_000, details: { scenario: '2n-8c-16r-interop4' } },
    'load-test': { status: 'succeeded', durationMs: 300_000 },
    report: { status: 'succeeded', durationMs: 800 },
  },
  result: { rps: 140.2 },
};
const failed: RunRecord = {
  runId: '20261125-151000-bbbbbb',
  status: 'failed',
  createdAt: '2026-11-25T15:10:00.000Z',
  updatedAt: '2026-11-25T15:11:00.000Z',
  stages: { deploy: { status: 'failed', durationMs: 90_000, reason: 'ProgressDeadlineExceeded' } },
  failure: { stage: 'deploy', reason: 'pods never became ready; rolled back' },
};

describe('run views', () => {
  it('lists runs with the stage reached, the release and the outcome', () => {
    const lines = runsTable([ok, failed]).split('\n');
    expect(lines[0]).toMatch(/^run +stage +release +outcome$/);
    expect(lines[1]).toMatch(/^20261125-150000-aaaaaa +report +o\/r@v1 +succeeded$/);
    expect(lines[2]).toMatch(
      /^20261125-151000-bbbbbb +deploy +\(redeploy\) +failed at deploy: pods never became ready; rolled back$/,
    );
    expect(runsTable([])).toBe('no runs yet');
  });

  it('shows every stage of a run with its time, details and reason', () => {
    const text = runDetail(ok);
    expect(text).toContain('✓ bake        65.3 s  buildId=b-1');
    expect(text).toContain('✓ webhook      14 ms  ');
    expect(runDetail(failed)).toContain('✗ deploy      90.0 s  : ProgressDeadlineExceeded');
  });
});
