import { join } from 'node:path';
import { decodeFromCompressedBase64 } from '../../shared/hdr-histogram.js';
import { latenciesAt, type Latencies } from '../stats/latency.js';
import type { Summary } from '../summary.js';
import type { Output, OutputDeps, RunMeta, Tick } from './output.js';

/** Locust's percentile columns and their header names (stats.py PERCENTILES_TO_REPORT). */
const LOCUST_PERCENTILES = [50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100];
const PERCENTILE_HEADERS = LOCUST_PERCENTILES.map((p) => `${p}%`);

export const STATS_COLUMNS = [
  'Type',
  'Name',
  'Request Count',
  'Failure Count',
  'Median Response Time',
  'Average Response Time',
  'Min Response Time',
  'Max Response Time',
  'Average Content Size',
  'Requests/s',
  'Failures/s',
  ...PERCENTILE_HEADERS,
];
export const HISTORY_COLUMNS = [
  'Timestamp',
  'User Count',
  'Type',
  'Name',
  'Requests/s',
  'Failures/s',
  ...PERCENTILE_HEADERS,
  'Total Request Count',
  'Total Failure Count',
  'Total Median Response Time',
  'Total Average Response Time',
  'Total Min Response Time',
  'Total Max Response Time',
  'Total Average Content Size',
];
export const FAILURES_COLUMNS = ['Method', 'Name', 'Error', 'Occurrences'];

/** The request's name in every CSV, like a Locust gRPC user's `name`. */
export const REQUEST_NAME = 'Predict';

function cell(value: string | number | null): string {
  const text = value === null ? 'N/A' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
const row = (cells: (string | number | null)[]): string => `${cells.map(cell).join(',')}\n`;
const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Response times in ms like Locust's (median, average, min, max), but HDR's values (µs resolution), not Locust's
 * rounded buckets; then Locust's percentile columns. Read at once: the history has a row of the total every second.
 */
function times(l: Latencies): { times: number[]; percentiles: (number | null)[] } {
  const values = latenciesAt(l, [50, 'mean', 'min', 'max', ...LOCUST_PERCENTILES]);
  return { times: values.slice(0, 4).map((v) => v ?? 0), percentiles: values.slice(4) };
}
const contentSize = (requests: number, bytes: number): number => (requests ? round(bytes / requests) : 0);

/** PREFIX_stats.csv, PREFIX_stats_history.csv (one row a second) and PREFIX_failures.csv, with Locust's columns. */
export function csvOutput(dir: string, prefix: string, deps: Pick<OutputDeps, 'writeFile'>): Output {
  let history = row(HISTORY_COLUMNS);
  let meta: RunMeta | undefined;
  return {
    start(m) {
      meta = m;
    },
    add(tick: Tick) {
      const w = tick.window;
      const epochSeconds = Math.floor(((meta?.startMs ?? 0) + (tick.second + 1) * 1000) / 1000);
      const t = tick.total;
      const total = times(t);
      history += row([
        epochSeconds,
        round(tick.target),
        '',
        'Aggregated',
        w?.requests ?? 0,
        w?.failures ?? 0,
        ...total.percentiles,
        t.requests,
        t.failures,
        ...total.times,
        contentSize(t.requests, t.bytesReceived),
      ]);
    },
    async stop(summary: Summary) {
      const path = (name: string): string => join(dir, `${prefix}_${name}.csv`);
      const { requests } = summary;
      const failuresPerSecond = summary.measuredMs ? round(requests.failed / (summary.measuredMs / 1000)) : 0;
      const { min, max } = summary.latencyMs;
      const histogram = {
        histogram: decodeFromCompressedBase64(summary.histogram),
        minUs: (min ?? 0) * 1000,
        maxUs: (max ?? 0) * 1000,
      };
      const size = contentSize(requests.total, requests.bytesReceived);
      const read = times(histogram);
      const line = (type: string, name: string): string =>
        row([
          type,
          name,
          requests.total,
          requests.failed,
          ...read.times,
          size,
          requests.rps,
          failuresPerSecond,
          ...read.percentiles,
        ]);
      const stats = row(STATS_COLUMNS) + line(summary.target.protocol, REQUEST_NAME) + line('', 'Aggregated');
      const failures =
        row(FAILURES_COLUMNS) +
        summary.failures
          .map((f) => row([summary.target.protocol, REQUEST_NAME, `${f.code}: ${f.sample}`, f.count]))
          .join('');
      await Promise.all([
        deps.writeFile(path('stats'), stats),
        deps.writeFile(path('stats_history'), history),
        deps.writeFile(path('failures'), failures),
      ]);
    },
  };
}
