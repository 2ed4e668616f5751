import { describe, expect, it } from 'vitest';
import { compareRuns, relativeDifference } from '../../../../shared/report/compare-runs.js';
import { summaryFixture } from '../../loadtest/outputs/summary-fixture.js';

const base = summaryFixture();
const faster = summaryFixture({
  requests: { ...base.requests, rps: 150.45 },
  latencyMs: { ...base.latencyMs, p50: 14.5, p95: 19, p99: 50 },
});
const closed = summaryFixture({
  load: { kind: 'closed', users: 10, spawnRate: 1, thinkTimeMs: 0, durationMs: 10_000, description: '10 users' },
});

describe('compareRuns', () => {
  it('gives each run its difference from the first, the baseline, for req/s and p50/p95/p99', () => {
    const { table, html } = compareRuns([
      { label: 'a · run-1', summary: base },
      { label: 'a · run-2', summary: faster },
    ]);
    const [header, first, second] = table.split('\n');
    expect(header).toMatch(/^run\s+requests\s+req\/s\s+Δ req\/s\s+p50 ms\s+Δ p50\s+p95 ms\s+Δ p95\s+p99 ms\s+Δ p99/);
    expect(first).toMatch(/^a · run-1\s+1003\s+100\.3\s+baseline\s+29\s+baseline/);
    expect(second).toMatch(/^a · run-2\s+1003\s+150\.45\s+\+50\.0%\s+14\.5\s+-50\.0%\s+19\s+-50\.0%\s+50\s+-50\.0%/);
    expect(html).toContain('<td>+50.0%</td>');
  });

  it('warns, in the table and on the page, when the load models differ', () => {
    expect(
      compareRuns([
        { label: 'a', summary: base },
        { label: 'b', summary: faster },
      ]).warnings,
    ).toEqual([]);
    const mixed = compareRuns([
      { label: 'open', summary: base },
      { label: 'closed', summary: closed },
    ]);
    expect(mixed.warnings).toHaveLength(1);
    expect(mixed.warnings[0]).toMatch(/the load models differ \(open: open model, 100 req\/s; closed: 10 users\)/);
    expect(mixed.html).toMatch(/<div class="warn"><b>Warning:<\/b> the load models differ/);
  });

  it('overlays the runs’ latency distributions', () => {
    const { html, svg } = compareRuns([
      { label: 'a', summary: base },
      { label: 'b', summary: faster },
    ]);
    expect(html).toContain('aria-label="Latency by percentile (HDR)"');
    expect(svg.match(/<svg /g)).toHaveLength(5);
  });

  it('says nothing of a difference it cannot compute', () => {
    expect(relativeDifference(null, 10)).toBe('-');
    expect(relativeDifference(10, 0)).toBe('-');
    expect(relativeDifference(9, 10)).toBe('-10.0%');
  });
});
