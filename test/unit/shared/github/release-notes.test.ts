import { describe, expect, it } from 'vitest';
import { failureSection, hasSection, reportCell, upsertSection } from '../../../../shared/github/release-notes.js';
import { runSection } from '../../../../shared/github/run-section.js';
import type { RunRecord } from '../../../../shared/store.js';

const finished = {
  type: 'LoadTestFinished' as const,
  version: 1 as const,
  runId: '20261125-144159-3fa9c1',
  scenario: '2n-8c-16r-interop4',
  image: `europe-docker.pkg.dev/p/models/resnet@sha256:${'ab'.repeat(32)}`,
  summary: {
    requests: 1000,
    failures: 5,
    rps: 98.76,
    p50Ms: 41.2,
    p95Ms: 80.4,
    p99Ms: 120.9,
    thresholdsPassed: false,
    failedThresholds: ['errors<0.1%'],
  },
  reportUrl: 'https://storage.cloud.google.com/reports/runs/20261125-144159-3fa9c1/2n-8c-16r-interop4/report.html',
};

describe('release notes', () => {
  it('appends a section to existing notes and replaces it in place later', () => {
    const once = upsertSection('Release notes by a person.', 'k', 'first');
    expect(once).toBe('Release notes by a person.\n\n<!-- modelship:k:begin -->\nfirst\n<!-- modelship:k:end -->\n');
    const twice = upsertSection(once, 'k', 'second');
    expect(twice).toBe(once.replace('first', 'second'));
    expect(hasSection(twice, 'k', 'second')).toBe(true);
    expect(hasSection(twice, 'k', 'first')).toBe(false);
  });

  it('keeps other sections and empty notes apart', () => {
    const a = upsertSection(null, 'a', 'A');
    const ab = upsertSection(a, 'b', 'B');
    expect(upsertSection(ab, 'a', 'A2')).toContain('A2\n<!-- modelship:a:end -->\n\n<!-- modelship:b:begin -->\nB');
  });

  it('states each candidate: vCPU, throughput, percentiles, errors, cost, verdict, deltas, and the promotion', async () => {
    const run: RunRecord = {
      runId: 'r-1',
      status: 'running',
      createdAt: '2026-12-06T00:00:00Z',
      updatedAt: '2026-12-06T00:00:00Z',
      stages: {},
      scenarios: {
        '2n-8c-16r-interop4': {
          status: 'succeeded',
          image: finished.image,
          figures: finished.summary,
          reportUrl: finished.reportUrl,
          verdict: {
            passed: true,
            reasons: ['thresholds held', 'latency +1.0%: no regression'],
            deltas: { p50: 0.01, p95: 0.02, p99: -0.01, rps: 0, errors: 0 },
          },
        },
        '2n-8c-16r-interop4~baseline': {
          status: 'succeeded',
          image: `europe-docker.pkg.dev/p/models/resnet@sha256:${'cd'.repeat(32)}`,
          figures: {
            ...finished.summary,
            capacity: { rps: 412.5, p99BoundMs: 200, errorsBound: 0.01, limit: 'server', verdict: 'v' },
          },
        },
      },
      promotion: {
        status: 'promoted',
        scenario: '2n-8c-16r-interop4',
        image: finished.image,
        reason: 'the best',
        requestedBy: 'pipeline',
        at: 'x',
      },
    };
    expect(await runSection(run)).not.toContain('Side by side');
    const md = await runSection({ ...run, comparisonUrl: 'https://reports.example.com/runs/r-1/compare.html' });
    expect(md).toContain('Side by side: [compare.html](https://reports.example.com/runs/r-1/compare.html)');
    expect(md).toContain('### modelship · 2 candidates · 2n-8c-16r-interop4 promoted ✅');
    expect(md).toMatch(
      /\| \*\*2n-8c-16r-interop4\*\* \| 15 \| 98\.8 req\/s \| 41 ms \/ 80 ms \/ 121 ms \| 0\.50% \| \$\d+\.\d{3} \| passed ✅ \|/,
    );
    expect(md).toContain(
      '| 2n-8c-16r-interop4 · baseline (serving `sha256:cdcdcdcdcdcd…`) | 15 | 412.5 req/s (capacity) |',
    );
    expect(md).toContain('Against the serving release: p50 +1.0%, p95 +2.0%, p99 -1.0%, throughput +0.0%');
    expect(md).toContain('**Promoted:** 2n-8c-16r-interop4 now serves `sha256:abababababab…` (the best).');
    expect(md).toContain(
      '[report.html](https://storage.cloud.google.com/reports/runs/20261125-144159-3fa9c1/2n-8c-16r-interop4/report.html) (Google sign-in; needs read access to the report bucket)',
    );
  });

  it('never links a report a release reader cannot open as if they could', () => {
    expect(reportCell('file:///tmp/modelship/reports/runs/r/s/report.html')).toBe(
      '`/tmp/modelship/reports/runs/r/s/report.html` on the machine that ran the test',
    );
    expect(reportCell('gs://reports/runs/r/s/report.html')).toBe(
      '[report.html](https://storage.cloud.google.com/reports/runs/r/s/report.html) (Google sign-in; needs read access to the report bucket)',
    );
    expect(reportCell('(no report written)')).toBe('none written');
    expect(reportCell('https://storage.cloud.google.com/reports/runs/r/compare.html')).toMatch(
      /^\[compare\.html\]\(https:\/\/storage\.cloud\.google\.com\/reports\/runs\/r\/compare\.html\)/,
    );
    expect(reportCell('https://reports.example.com/r/report.html')).toBe(
      '[report.html](https://reports.example.com/r/report.html)',
    );
  });

  it('states which stage failed and why', () => {
    const md = failureSection({
      type: 'PipelineFailed',
      version: 1,
      runId: finished.runId,
      stage: 'bake',
      reason: 'no saved_model.pb in the tarball',
      detailsUrl: 'https://log',
    });
    expect(md).toContain('failed at bake ❌');
    expect(md).toContain('no saved_model.pb in the tarball');
    expect(md).toContain('Details: https://log');
  });
});
