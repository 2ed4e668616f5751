import { escapeHtml, page, table } from './html.js';
import { percentileChart } from './percentile-chart.js';
import { barChart, CHART_HEIGHT, CHART_WIDTH } from './svg-chart.js';

/** The fields of a load test's summary.json a comparison reads: a parsed summary.json can be passed as it is. */
export interface ComparedSummary {
  readonly load: { readonly kind: string; readonly description: string };
  readonly requests: {
    readonly total: number;
    readonly rps: number;
    readonly failed: number;
    readonly errorRatio: number;
  };
  readonly latencyMs: { readonly p50: number | null; readonly p95: number | null; readonly p99: number | null };
  readonly generator: { readonly limited: boolean };
  /** HdrHistogram compressed base64, µs. */
  readonly histogram: string;
}

export interface ComparedRun {
  readonly label: string;
  readonly summary: ComparedSummary;
}

export interface Comparison {
  readonly html: string;
  readonly svg: string;
  /** The table as text, for the terminal. */
  readonly table: string;
  /** What makes the runs not like for like (load models that differ). */
  readonly warnings: readonly string[];
}

const LATENCIES = ['p50', 'p95', 'p99'] as const;
const HEADERS = [
  'run',
  'requests',
  'req/s',
  'Δ req/s',
  ...LATENCIES.flatMap((p) => [`${p} ms`, `Δ ${p}`]),
  'errors',
  'generator-limited',
];

/** The relative difference of `value` from the baseline's, as +12.3%; '-' when either is missing or zero. */
export function relativeDifference(value: number | null, baseline: number | null): string {
  if (value === null || baseline === null || baseline === 0) return '-';
  const d = (value - baseline) / baseline;
  return `${d >= 0 ? '+' : ''}${(d * 100).toFixed(1)}%`;
}

function loadWarnings(runs: readonly ComparedRun[]): string[] {
  const kinds = new Set(runs.map((r) => r.summary.load.kind));
  if (kinds.size < 2) return [];
  const each = runs.map((r) => `${r.label}: ${r.summary.load.description}`).join('; ');
  return [
    `the load models differ (${each}): an open model measures latency from the intended send time, a closed one from the actual send, and a closed model's throughput follows the server's latency; the figures are not like for like`,
  ];
}

/**
 * Several runs side by side: throughput, p50/p95/p99 and errors, each against the first run (the baseline), the
 * latency distributions overlaid, and a warning when the runs are not like for like.
 */
export function compareRuns(
  runs: readonly ComparedRun[],
  { title = 'Load test comparison', note }: { title?: string; note?: string } = {},
): Comparison {
  const base = runs[0]?.summary;
  const rows = runs.map(({ label, summary: s }, i) => [
    label,
    s.requests.total,
    s.requests.rps,
    i === 0 ? 'baseline' : relativeDifference(s.requests.rps, base?.requests.rps ?? null),
    ...LATENCIES.flatMap((p) => [
      s.latencyMs[p],
      i === 0 ? 'baseline' : relativeDifference(s.latencyMs[p], base?.latencyMs[p] ?? null),
    ]),
    `${(s.requests.errorRatio * 100).toFixed(2)}%`,
    s.generator.limited ? 'yes' : 'no',
  ]);
  const warnings = loadWarnings(runs);
  const labels = runs.map((r) => r.label);
  const charts = [
    barChart('Throughput', 'requests/s', labels, [{ name: 'req/s', values: runs.map((r) => r.summary.requests.rps) }]),
    barChart(
      'Latency',
      'ms',
      labels,
      LATENCIES.map((p) => ({ name: p, values: runs.map((r) => r.summary.latencyMs[p] ?? 0) })),
    ),
    percentileChart(runs.map((r) => ({ name: r.label, histogram: r.summary.histogram }))),
    barChart('Errors', 'failed requests', labels, [
      { name: 'failed', values: runs.map((r) => r.summary.requests.failed) },
    ]),
  ];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${CHART_HEIGHT * charts.length}">\n${charts
    .map((c, i) => c.replace('<svg ', `<svg y="${i * CHART_HEIGHT}" `))
    .join('\n')}\n</svg>\n`;
  const warningHtml = warnings.map((w) => `<div class="warn"><b>Warning:</b> ${escapeHtml(w)}</div>\n`).join('');
  const html = page(
    title,
    `<h1>${escapeHtml(title)}</h1>\n${note ? `<pre>${escapeHtml(note)}</pre>\n` : ''}${warningHtml}<p>Δ: the relative difference from the first run, the baseline.</p>\n${table(HEADERS, rows)}\n${charts.join('\n')}`,
  );
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '-').length)));
  const text = [HEADERS, ...rows]
    .map((r) => r.map((c, i) => String(c ?? '-').padEnd(widths[i]!)).join('  '))
    .join('\n');
  return { html, svg, table: `${text}\n`, warnings };
}
