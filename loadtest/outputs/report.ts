import { join } from 'node:path';
import { formatDuration } from '../duration.js';
import type { Summary } from '../summary.js';
import { escapeHtml, page, table } from './html.js';
import type { Output, OutputDeps } from './output.js';
import { lineChart } from './svg-chart.js';

/** report.html: one self-contained page (inline CSS and SVG, no script) that opens offline. */
export function reportHtml(summary: Summary): string {
  const { requests: r, latencyMs: l, series } = summary;
  const title = `Load test${summary.scenario ? ` of ${summary.scenario}` : ''}: ${summary.target.model} at ${summary.target.address}`;
  const verdict = summary.passed ? '<span class="pass">PASSED</span>' : '<span class="fail">FAILED</span>';
  const overview = table(
    ['', ''],
    [
      [
        'target',
        `${summary.target.address} (${summary.target.protocol}), model ${summary.target.model}, signature ${summary.target.signature}`,
      ],
      ['load', summary.load.description],
      ['started', summary.startedAt],
      ['measured', `${formatDuration(summary.measuredMs)} (warmup ${formatDuration(summary.warmupMs)} excluded)`],
      ['stopped early', summary.stopped ?? 'no'],
    ],
  );
  const figures = table(
    ['requests', 'ok', 'failed', 'error ratio', 'req/s', 'late', 'dropped', 'bytes sent', 'bytes received'],
    [
      [
        r.total,
        r.ok,
        r.failed,
        `${(r.errorRatio * 100).toFixed(2)}%`,
        r.rps,
        r.late,
        r.dropped,
        r.bytesSent,
        r.bytesReceived,
      ],
    ],
  );
  const latency = table(
    ['min', 'mean', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max'],
    [[l.min, l.mean, l.p50, l.p90, l.p95, l.p99, l['p99.9'], l.max]],
  );
  const thresholds = summary.thresholds.length
    ? table(
        ['threshold', 'measured', 'result'],
        summary.thresholds.map((t) => [t.expression, t.actual, t.ok ? 'pass' : 'FAIL']),
      )
    : '<p>No thresholds were set.</p>';
  const g = summary.generator;
  const health = `<p>${g.workers} load threads on ${g.cores} cores; CPU ${g.cpuPercent.mean}% mean, ${g.cpuPercent.max}% peak; event-loop delay p99 ${g.eventLoopDelayMs.p99} ms, max ${g.eventLoopDelayMs.max} ms.</p>${
    g.limited
      ? `<div class="warn"><b>The generator, not the server, was the limit:</b><ul>${g.reasons.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul></div>`
      : "<p>The generator kept up: these figures are the server's.</p>"
  }`;
  const failures = summary.failures.length
    ? table(
        ['failure', 'count', 'sample message'],
        summary.failures.map((f) => [f.code, f.count, f.sample]),
      )
    : '<p>No failures.</p>';
  const at = (pick: (p: (typeof series)[number]) => number | null) => series.map((p) => [p.second, pick(p)] as const);
  const targetName = summary.load.kind === 'closed' ? 'users' : 'target req/s';
  const charts = [
    lineChart('Throughput', 'requests/s', 'seconds', [
      { name: 'requests/s', points: at((p) => p.requests) },
      { name: 'failures/s', points: at((p) => p.failures) },
    ]),
    lineChart('Latency percentiles (each second)', 'ms', 'seconds', [
      { name: 'p50', points: at((p) => p.p50) },
      { name: 'p95', points: at((p) => p.p95) },
      { name: 'p99', points: at((p) => p.p99) },
    ]),
    lineChart(summary.load.kind === 'closed' ? 'Users' : 'Target rate', targetName, 'seconds', [
      { name: targetName, points: at((p) => p.target) },
    ]),
    lineChart('Errors', 'failures/s', 'seconds', [{ name: 'failures/s', points: at((p) => p.failures) }]),
  ];
  return page(
    title,
    `<h1>${escapeHtml(title)} ${verdict}</h1>
${overview}
<h2>Requests</h2>${figures}
<h2>Latency (ms, successful requests, from the intended send time)</h2>${latency}
<h2>Thresholds</h2>${thresholds}
<h2>Generator</h2>${health}
<h2>Charts</h2>
${charts.join('\n')}
<h2>Failures</h2>${failures}
<p><small>schema ${escapeHtml(summary.schema)}; finished ${escapeHtml(summary.finishedAt)}</small></p>`,
  );
}

export function reportOutput(dir: string, deps: Pick<OutputDeps, 'writeFile'>): Output {
  return {
    start: () => undefined,
    add: () => undefined,
    stop: (summary) => deps.writeFile(join(dir, 'report.html'), reportHtml(summary)),
  };
}
