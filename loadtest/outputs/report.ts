import { join } from 'node:path';
import { formatCpu, formatMemory } from '../../shared/deploy/quantity.js';
import { escapeHtml, facts, formatBytes, page, table } from '../../shared/report/html.js';
import { measuredSeconds } from '../../shared/report/measured-seconds.js';
import { percentileChart } from '../../shared/report/percentile-chart.js';
import { boundLine, lineChart, type Bound } from '../../shared/report/svg-chart.js';
import { formatDuration } from '../duration.js';
import { LATENCY_STATS } from '../stats/names.js';
import type { Capacity, SeriesPoint, Summary } from '../summary.js';
import { RATIO_METRICS, type ThresholdResult } from '../thresholds.js';
import type { Output, OutputDeps } from './output.js';

/** The files written beside the report, linked from it (Locust's "Download data"). */
export interface ReportFiles {
  readonly csvPrefix: string;
}

const pct = (ratio: number): string => `${(ratio * 100).toFixed(2)}%`;

/** report.html: one self-contained page (inline CSS and SVG, no script) that opens offline. */
export function reportHtml(summary: Summary, files?: ReportFiles): string {
  const { requests: r, latencyMs: l } = summary;
  const title = `Load test${summary.scenario ? ` of ${summary.scenario}` : ''}: ${summary.target.model} at ${summary.target.address}`;
  const verdict = summary.passed ? '<span class="pass">PASSED</span>' : '<span class="fail">FAILED</span>';
  const run = facts([
    ['load', summary.load.description],
    ['started', summary.startedAt],
    ['measured', `${formatDuration(summary.measuredMs)} (warmup ${formatDuration(summary.warmupMs)} excluded)`],
    ['stopped early', summary.stopped ?? 'no'],
  ]);
  const figures = table(
    ['requests', 'ok', 'failed', 'error ratio', 'req/s', 'late', 'dropped', 'sent', 'received'],
    [
      [
        r.total,
        r.ok,
        r.failed,
        pct(r.errorRatio),
        r.rps,
        r.late,
        r.dropped,
        formatBytes(r.bytesSent),
        formatBytes(r.bytesReceived),
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
        summary.thresholds.map((t) => [t.expression, measured(t), t.ok ? 'pass' : 'FAIL']),
        (i) => (summary.thresholds[i]!.ok ? 'pass' : 'fail'),
      )
    : '<p>No thresholds were set.</p>';
  const failures = summary.failures.length
    ? table(
        ['failure', 'count', 'sample message'],
        summary.failures.map((f) => [f.code, f.count, f.sample]),
      )
    : '<p>No failures.</p>';
  const latencyBounds = bounds(summary, (m) => (LATENCY_STATS as readonly string[]).includes(m) || /^p\d/.test(m));
  return page(
    title,
    `<h1>${escapeHtml(title)} ${verdict}</h1>
<h2>What was measured</h2>${measuredTable(summary)}
${files ? downloads(files) : ''}
<h2>Run</h2>${run}
${summary.capacity ? capacitySection(summary.capacity) : ''}
<h2>Requests</h2>${figures}
<h2>Latency (ms, successful requests, ${escapeHtml(latencyFrom(summary))})</h2>${latency}
${percentileChart([{ name: 'latency', histogram: summary.histogram }], latencyBounds)}
<h2>Thresholds</h2>${thresholds}
<h2>Generator</h2>${generatorSection(summary)}
<h2>Over time</h2>
${timeCharts(summary, latencyBounds)}
<h2>Failures</h2>${failures}
<p><small>schema ${escapeHtml(summary.schema)}; finished ${escapeHtml(summary.finishedAt)}</small></p>`,
  );
}

/** A threshold's measured value in its limit's unit: ms, %, req/s or a count. */
function measured(t: ThresholdResult): string | null {
  if (t.actual === null) return null;
  if (RATIO_METRICS.includes(t.metric)) return pct(t.actual);
  if (t.metric === 'rps') return `${t.actual} req/s`;
  return t.metric === 'requests' ? String(t.actual) : `${t.actual} ms`;
}

/** Where latency is measured from: what the load model's code does (loadtest/models/). */
function latencyFrom(summary: Summary): string {
  return summary.load.kind === 'open'
    ? 'from the intended send time: a request sent late is charged its wait, no coordinated omission'
    : "from the actual send: each user waits for its reply before the next, as Locust's users do";
}

/** The scenario as deployed, the image, the model, the run and the release; by hand, what the load tester knows. */
function measuredTable(summary: Summary): string {
  const { target: t, deployment: d } = summary;
  const p = d?.parameters;
  const b = p?.batching;
  const scenario = d
    ? `${d.scenario}${d.arm === 'baseline' ? ' (baseline: the serving image)' : ''}`
    : summary.scenario;
  return facts([
    ['scenario', scenario ?? 'not named (--scenario)'],
    ...(p
      ? ([
          ['replicas', `${p.replicas} × ${p.machineType}`],
          ['CPU and memory', `${formatCpu(p.cpuMillis)} CPU, ${formatMemory(p.memoryMiB)} per pod`],
          ['TF Serving threads', `inter-op ${p.interOpParallelism}, intra-op ${p.intraOpParallelism}`],
          [
            'batching',
            b
              ? `max batch ${b.maxBatchSize}, timeout ${b.batchTimeoutMicros} µs, ${b.numBatchThreads} threads, ${b.maxEnqueuedBatches} enqueued batches`
              : 'off',
          ],
        ] as const)
      : ([
          ['scenario parameters', 'not known: the pipeline passes them (--deployment); a run by hand has none'],
        ] as const)),
    ...(d ? ([['image', d.image]] as const) : []),
    ['model', `${t.model}, version ${t.version ?? 'not reported (the latest)'}, signature ${t.signature}`],
    ['target', `${t.address} (${t.protocol})`],
    ...(d ? ([['run', d.runId]] as const) : []),
    ...(d?.release ? ([['release', `${d.release.repository}@${d.release.tag}`]] as const) : []),
  ]);
}

function downloads(files: ReportFiles): string {
  const names = ['summary.json', ...['stats', 'stats_history', 'failures'].map((n) => `${files.csvPrefix}_${n}.csv`)];
  const links = names.map((n) => `<a href="${escapeHtml(encodeURI(n))}">${escapeHtml(n)}</a>`);
  return `<p>Download data: ${links.join(' · ')}</p>`;
}

function generatorSection(summary: Summary): string {
  const g = summary.generator;
  const threads = g.workers === 0 ? 'in-process (the main thread)' : `${g.workers} load threads`;
  return `<p>${threads} on ${g.cores} cores; CPU ${g.cpuPercent.mean}% mean, ${g.cpuPercent.max}% peak; event-loop delay p99 ${g.eventLoopDelayMs.p99} ms, max ${g.eventLoopDelayMs.max} ms.</p>${
    g.limited
      ? `<div class="warn"><b>The generator, not the server, was the limit:</b><ul>${g.reasons.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul></div>`
      : "<p>The generator kept up: these figures are the server's.</p>"
  }`;
}

/** The thresholds on the metrics `pick` accepts, in the unit their chart draws (errors in %). */
function bounds(summary: Summary, pick: (metric: string) => boolean): Bound[] {
  return summary.thresholds
    .filter((t) => pick(t.metric))
    .map((t) => ({ name: t.expression, value: t.metric === 'errors' ? t.limit * 100 : t.limit, ok: t.ok }));
}

/** Per-second charts over the whole seconds of the measured span, with the thresholds drawn on them. */
function timeCharts(summary: Summary, latencyBounds: readonly Bound[]): string {
  const points = measuredSeconds(summary);
  const left = summary.series.length - points.length;
  const at = (pick: (p: SeriesPoint) => number | null) => points.map((p) => [p.second, pick(p)] as const);
  const first = points[0]?.second ?? 0;
  const last = points.at(-1)?.second ?? 1;
  const across = (bs: readonly Bound[]) => bs.map((b) => boundLine(b, first, last));
  const targetName = summary.load.kind === 'closed' ? 'users' : 'target req/s';
  const charts = [
    lineChart('Throughput', 'requests/s', 'seconds', [
      { name: 'requests/s', points: at((p) => p.requests) },
      { name: 'failures/s', points: at((p) => p.failures) },
      ...across(bounds(summary, (m) => m === 'rps')),
    ]),
    lineChart('Latency percentiles (each second)', 'ms', 'seconds', [
      ...(['p50', 'p95', 'p99', 'p99.9', 'max'] as const).map((name) => ({ name, points: at((p) => p[name]) })),
      ...across(latencyBounds),
    ]),
    lineChart(summary.load.kind === 'closed' ? 'Users' : 'Target rate', targetName, 'seconds', [
      { name: targetName, points: at((p) => p.target) },
    ]),
    lineChart('Errors', 'failed requests (% of each second)', 'seconds', [
      { name: 'errors %', points: at((p) => (p.requests ? (100 * p.failures) / p.requests : 0)) },
      ...across(bounds(summary, (m) => m === 'errors')),
    ]),
  ];
  const note =
    left > 0
      ? `<p>${left} partial second${left === 1 ? '' : 's'} at the edges of the measured span (cut by the end of the warmup, or holding only the replies drained after the end of the run) ${left === 1 ? 'is' : 'are'} left out of these charts; every figure above counts ${left === 1 ? 'it' : 'them'}.</p>`
      : '';
  return `${note}\n${charts.join('\n')}`;
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
      pct(p.errors),
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

export function reportOutput(dir: string, files: ReportFiles, deps: Pick<OutputDeps, 'writeFile'>): Output {
  return {
    start: () => undefined,
    add: () => undefined,
    stop: (summary) => deps.writeFile(join(dir, 'report.html'), reportHtml(summary, files)),
  };
}
