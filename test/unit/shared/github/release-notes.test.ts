import { describe, expect, it } from 'vitest';
import { failureSection, hasSection, loadTestSection, upsertSection } from '../../../../shared/github/release-notes.js';

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

  it('states the load test outcome: scenario, digest, throughput, percentiles, errors, report', () => {
    const md = loadTestSection(finished);
    expect(md).toContain('2n-8c-16r-interop4 · load test failed ❌ (errors<0.1%)');
    expect(md).toContain('`sha256:abababababab…`');
    expect(md).toContain('| throughput | 98.8 requests/s |');
    expect(md).toContain('| latency p50 / p95 / p99 | 41 ms / 80 ms / 121 ms |');
    expect(md).toContain('| errors | 5 of 1000 (0.50%) |');
    expect(md).toContain(
      '| report | [report.html](https://storage.cloud.google.com/reports/runs/20261125-144159-3fa9c1/2n-8c-16r-interop4/report.html) (Google sign-in; needs read access to the report bucket) |',
    );
  });

  it('never links a report a release reader cannot open as if they could', () => {
    const row = (reportUrl: string) =>
      loadTestSection({ ...finished, reportUrl })
        .split('\n')
        .find((l) => l.startsWith('| report |'));
    expect(row('file:///tmp/modelship/reports/runs/r/s/report.html')).toBe(
      '| report | `/tmp/modelship/reports/runs/r/s/report.html` on the machine that ran the test |',
    );
    expect(row('gs://reports/runs/r/s/report.html')).toBe(
      '| report | [report.html](https://storage.cloud.google.com/reports/runs/r/s/report.html) (Google sign-in; needs read access to the report bucket) |',
    );
    expect(row('(no report written)')).toBe('| report | none written |');
    expect(row('https://reports.example.com/r/report.html')).toBe(
      '| report | [report.html](https://reports.example.com/r/report.html) |',
    );
    expect(loadTestSection(finished)).not.toMatch(/gs:\/\/|storage\.googleapis\.com/);
  });

  it("states a capacity search's capacity, and per vCPU when the scenario's vCPU are known", () => {
    const capacity = { rps: 412.5, p99BoundMs: 200, errorsBound: 0.01, limit: 'server' as const, verdict: 'v' };
    const md = loadTestSection({ ...finished, summary: { ...finished.summary, capacity } }, 15);
    expect(md).toContain('| capacity | 412.5 requests/s with p99 ≤ 200 ms, errors ≤ 1.0% (the server was the limit) |');
    expect(md).toContain('| capacity per vCPU | 27.50 requests/s (15 vCPU) |');
    const starved = { ...capacity, rps: null, limit: 'generator' as const, verdict: 'the generator, not the server' };
    const none = loadTestSection({ ...finished, summary: { ...finished.summary, capacity: starved } }, 15);
    expect(none).toContain('| capacity | none with p99 ≤ 200 ms, errors ≤ 1.0% (the generator, not the server) |');
    expect(none).not.toContain('per vCPU');
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
