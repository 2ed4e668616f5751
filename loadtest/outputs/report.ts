import { join } from 'node:path';
import { formatDuration } from '../duration.js';
import type { Capacity, Summary } from '../summary.js';
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
${summary.capacity ? capacitySection(summary.capacity) : ''}
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

/** The capacity search: its verdict, the latency-throughput curve with the bound and the capacity, every probe. */
function capacitySection(capacity: Capacity): string {
  const valid = capacity.probes
    .filter((p) => p.valid && p.p99Ms !== null)
    .sort((a, b) => a.achievedRps - b.achievedRps);
  const xs = valid.map((p) => p.achievedRps);
  const top = Math.max(capacity.p99BoundMs, ...valid.map((p) => p.p99Ms!));
  const curve = lineChart('Latency against throughput (valid probes)', 'p99 ms', 'achieved req/s', [
    { name: 'p99', points: valid.map((p) => [p.achievedRps, p.p99Ms] as const) },
    {
      name: 'p99 bound',
      points: [
        [Math.min(0, ...xs), capacity.p99BoundMs],
        [Math.max(1, ...xs), capacity.p99BoundMs],
      ],
    },
    ...(capacity.rps === null
      ? []
      : [
          {
            name: 'capacity',
            points: [
              [capacity.rps, 0],
              [capacity.rps, top],
            ] as const,
          },
        ]),
  ]);
  const probes = table(
    ['probe', 'offered req/s', 'achieved req/s', 'p99 ms', 'errors', 'verdict', 'why'],
    capacity.probes.map((p, i) => [
      i + 1,
      p.rps,
      p.achievedRps,
      p.p99Ms,
      `${(p.errors * 100).toFixed(2)}%`,
      !p.valid ? 'INVALID' : p.passed ? 'held' : 'over',
      p.reason,
    ]),
  );
  const cls = capacity.limit === 'server' ? 'pass' : 'fail';
  return `<h2>Capacity</h2>
<p><span class="${cls}">${escapeHtml(capacity.rps === null ? 'no capacity' : `${capacity.rps} req/s`)}</span> with p99 &le; ${escapeHtml(capacity.p99BoundMs)} ms and errors &le; ${escapeHtml(capacity.errorsBound * 100)}%: ${escapeHtml(capacity.verdict)}.</p>
${curve}
${probes}
<p>The figures below are the probe that stands for the capacity (the last probe when none held the bounds).</p>`;
}

export function reportOutput(dir: string, deps: Pick<OutputDeps, 'writeFile'>): Output {
  return {
    start: () => undefined,
    add: () => undefined,
    stop: (summary) => deps.writeFile(join(dir, 'report.html'), reportHtml(summary)),
  };
}
