import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ModelshipError } from '../shared/errors.js';
import { escapeHtml, page, table } from './outputs/html.js';
import { barChart } from './outputs/svg-chart.js';
import { SUMMARY_SCHEMA, type Summary } from './summary.js';

export interface Comparison {
  readonly html: string;
  readonly svg: string;
  /** The table as text, for the terminal. */
  readonly text: string;
}

/** Reads DIR/summary.json (or the file itself) and checks it is a summary this version understands. */
export async function readSummary(path: string): Promise<Summary> {
  const file = (await stat(path).catch(() => undefined))?.isDirectory() ? join(path, 'summary.json') : path;
  let parsed: Partial<Summary>;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Summary>;
  } catch (err) {
    throw new ModelshipError(`${file}: cannot read a load test summary: ${(err as Error).message}`, {
      cause: err,
      hint: 'pass the --out directory of a `modelship loadtest` run',
    });
  }
  if (parsed.schema !== SUMMARY_SCHEMA)
    throw new ModelshipError(`${file}: expected schema ${SUMMARY_SCHEMA}, found ${String(parsed.schema)}`);
  return parsed as Summary;
}

const HEADERS = ['run', 'requests', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'generator-limited'];

/** The side-by-side view of several runs the seed drew by hand: throughput, p50/p95/p99 and errors. */
export function compareRuns(runs: readonly { label: string; summary: Summary }[], note?: string): Comparison {
  const rows = runs.map(({ label, summary: s }) => [
    label,
    s.requests.total,
    s.requests.rps,
    s.latencyMs.p50,
    s.latencyMs.p95,
    s.latencyMs.p99,
    `${(s.requests.errorRatio * 100).toFixed(2)}%`,
    s.generator.limited ? 'yes' : 'no',
  ]);
  const labels = runs.map((r) => r.label);
  const throughput = barChart('Throughput', 'requests/s', labels, [
    { name: 'req/s', values: runs.map((r) => r.summary.requests.rps) },
  ]);
  const latency = barChart(
    'Latency',
    'ms',
    labels,
    (['p50', 'p95', 'p99'] as const).map((p) => ({ name: p, values: runs.map((r) => r.summary.latencyMs[p] ?? 0) })),
  );
  const errors = barChart('Errors', 'failed requests', labels, [
    { name: 'failed', values: runs.map((r) => r.summary.requests.failed) },
  ]);
  const charts = [throughput, latency, errors];
  const height = 240;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="720" height="${height * charts.length}">\n${charts
    .map((c, i) => c.replace('<svg ', `<svg y="${i * height}" `))
    .join('\n')}\n</svg>\n`;
  const html = page(
    'Load test comparison',
    `<h1>Load test comparison</h1>\n${note ? `<pre>${escapeHtml(note)}</pre>\n` : ''}${table(HEADERS, rows)}\n${charts.join('\n')}`,
  );
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '-').length)));
  const text = [HEADERS, ...rows]
    .map((r) => r.map((c, i) => String(c ?? '-').padEnd(widths[i]!)).join('  '))
    .join('\n');
  return { html, svg, text: `${text}\n` };
}

/** Labels: the scenario recorded in the summary, else the directory name. */
export async function compareDirs(paths: readonly string[]): Promise<Comparison> {
  const runs = await Promise.all(
    paths.map(async (path) => {
      const summary = await readSummary(path);
      return { label: summary.scenario ?? basename(path.replace(/\/summary\.json$/, '')), summary };
    }),
  );
  return compareRuns(runs);
}
