import { describe, expect, it } from 'vitest';
import { reportHtml } from '../../../../loadtest/outputs/report.js';
import type { MeasuredDeployment } from '../../../../shared/measured-deployment.js';
import { FAIL_COLOR, PASS_COLOR } from '../../../../shared/report/html.js';
import { CHART_WIDTH } from '../../../../shared/report/svg-chart.js';
import { failedSummaryFixture, summaryFixture } from './summary-fixture.js';

const deployment: MeasuredDeployment = {
  scenario: '2n-8c-64r-interop4-batch',
  arm: 'release',
  runId: '20261207-100000-abcdef',
  image: `europe-docker.pkg.dev/p/models/serving@sha256:${'e'.repeat(64)}`,
  model: 'resnet',
  release: { repository: 'acme/resnet', tag: 'v1.2.0' },
  parameters: {
    replicas: 2,
    machineType: 'n2-highmem-8',
    cpuMillis: 7500,
    memoryMiB: 60 * 1024,
    interOpParallelism: 4,
    intraOpParallelism: 8,
    batching: { maxBatchSize: 128, batchTimeoutMicros: 0, maxEnqueuedBatches: 2, numBatchThreads: 2 },
  },
};

/** The SVG whose title is `title`. */
const chart = (html: string, title: string): string => {
  const found = html.split('<svg ').find((s) => s.includes(`aria-label="${title}"`));
  if (!found) throw new Error(`no chart '${title}' in the report`);
  return found;
};
const lines = (svg: string): string[] => svg.match(/<polyline [^>]*>/g) ?? [];

describe('report.html', () => {
  it('says what was measured: the scenario as deployed, the image, the model, the run and the release', () => {
    const html = reportHtml(summaryFixture({ deployment }));
    const section = html.slice(html.indexOf('What was measured'), html.indexOf('<h2>Run'));
    for (const text of [
      '2n-8c-64r-interop4-batch',
      '2 × n2-highmem-8',
      '7500m CPU, 60Gi per pod',
      'inter-op 4, intra-op 8',
      'max batch 128, timeout 0 µs, 2 threads, 2 enqueued batches',
      `serving@sha256:${'e'.repeat(64)}`,
      'resnet, version 3, signature serving_default',
      '10.0.0.7:8500 (grpc)',
      '20261207-100000-abcdef',
      'acme/resnet@v1.2.0',
    ])
      expect(section).toContain(text);
  });

  it('says what it knows of a run by hand, and that the scenario parameters are not known', () => {
    const html = reportHtml(summaryFixture({ target: { ...summaryFixture().target, version: null } }));
    expect(html).toContain('resnet, version not reported (the latest), signature serving_default');
    expect(html).toContain('not known: the pipeline passes them (--deployment)');
  });

  it('has no empty header row', () => {
    expect(reportHtml(summaryFixture({ deployment }))).not.toMatch(/<th>\s*<\/th>/);
  });

  it('links the files written beside it', () => {
    const html = reportHtml(summaryFixture(), { csvPrefix: 'seed' });
    for (const file of ['summary.json', 'seed_stats.csv', 'seed_stats_history.csv', 'seed_failures.csv'])
      expect(html).toContain(`<a href="${file}">${file}</a>`);
  });

  it('draws the latency distribution by percentile on a log axis, from the merged histogram', () => {
    const svg = chart(reportHtml(summaryFixture()), 'Latency by percentile (HDR)');
    for (const label of ['50%', '90%', '99%', '99.9%']) expect(svg).toContain(`>${label}</text>`);
    const points = /points="([^"]+)"/
      .exec(lines(svg)[0]!)![1]!
      .split(' ')
      .map((p) => p.split(',').map(Number));
    // y grows downwards: latency never falls as the percentile rises, and the tail (30 ms to 400 ms) shows.
    for (let i = 1; i < points.length; i++) expect(points[i]![1]).toBeLessThanOrEqual(points[i - 1]![1]!);
    expect(points[0]![1]! - points.at(-1)![1]!).toBeGreaterThan(100);
  });

  it('draws p99.9 and max each second', () => {
    const svg = chart(reportHtml(summaryFixture()), 'Latency percentiles (each second)');
    expect(svg).toContain('>p99.9</text>');
    expect(svg).toContain('>max</text>');
    expect(lines(svg).length).toBeGreaterThanOrEqual(5);
  });

  it('draws each threshold on its chart, green when it held and red when it failed', () => {
    const passing = reportHtml(summaryFixture());
    const latency = chart(passing, 'Latency percentiles (each second)');
    expect(latency).toMatch(new RegExp(`<polyline [^>]*stroke="${PASS_COLOR}"[^>]*stroke-dasharray`));
    expect(latency).toContain('>p99&#60;500ms</text>');
    expect(chart(passing, 'Errors')).toMatch(new RegExp(`stroke="${PASS_COLOR}"`));
    expect(chart(passing, 'Errors')).toContain('>errors&#60;1%</text>');
    const failing = reportHtml(failedSummaryFixture());
    expect(chart(failing, 'Latency percentiles (each second)')).toMatch(
      new RegExp(`<polyline [^>]*stroke="${FAIL_COLOR}"[^>]*stroke-dasharray`),
    );
    expect(chart(failing, 'Latency by percentile (HDR)')).toMatch(new RegExp(`stroke="${FAIL_COLOR}"`));
    expect(failing).toContain('<tr class="fail"><td>p99&#60;50ms</td><td>100 ms</td><td>FAIL</td></tr>');
    expect(failing).toContain('<tr class="pass"><td>errors&#60;1%</td><td>0.30%</td><td>pass</td></tr>');
  });

  it('keeps the legend under the title and inside the chart', () => {
    const svg = chart(reportHtml(failedSummaryFixture()), 'Latency percentiles (each second)');
    const legend = [...svg.matchAll(/<rect x="([\d.]+)" y="(\d+)" width="10"/g)];
    expect(legend.length).toBe(6); // p50, p95, p99, p99.9, max and the p99 threshold
    for (const [, x, y] of legend) {
      expect(Number(y)).toBeGreaterThan(16);
      expect(Number(x) + 100).toBeLessThan(CHART_WIDTH);
    }
  });

  it('leaves partial seconds at the edges out of the charts, and says so', () => {
    const html = reportHtml(summaryFixture());
    // Seconds 0-9 of a 10 s run; second 10 holds only the drain after the end.
    const throughput = /points="([^"]+)"/.exec(lines(chart(html, 'Throughput'))[0]!)![1]!.split(' ');
    expect(throughput).toHaveLength(10);
    expect(html).toContain('1 partial second at the edges of the measured span');
  });

  it('formats bytes, says in-process for 0 workers, and where latency is measured from', () => {
    const open = reportHtml(summaryFixture({ generator: { ...summaryFixture().generator, workers: 0 } }));
    expect(open).toContain('<td>576.0 MB</td><td>16.0 KB</td>');
    expect(open).toContain('in-process (the main thread) on 2 cores');
    expect(open).not.toContain('0 load threads');
    expect(open).toContain('from the intended send time');
    const closed = reportHtml(
      summaryFixture({
        load: { kind: 'closed', users: 10, spawnRate: 1, thinkTimeMs: 0, durationMs: 10_000, description: 'closed' },
      }),
    );
    expect(closed).toContain('from the actual send');
    expect(closed).not.toContain('intended send time');
  });
});
