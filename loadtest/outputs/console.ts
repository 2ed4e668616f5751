import { formatDuration } from '../duration.js';
import type { Progress } from '../options.js';
import { latencyAt } from '../stats/latency.js';
import type { Capacity, CapacityProbe, Summary } from '../summary.js';
import type { Output, OutputDeps, Tick } from './output.js';

/** Structured progress off a terminal (Cloud Run): one JSON line every this many seconds. */
export const LOG_EVERY_S = 10;

const pct = (ratio: number): string => `${(ratio * 100).toFixed(2)}%`;
const msText = (v: number | null): string => (v === null ? '-' : `${v.toFixed(3)} ms`);

export function summaryText(summary: Summary): string {
  const { requests: r, latencyMs: l, target: t, deployment: d } = summary;
  const lines = [
    `${summary.load.description} against ${t.address} (${t.protocol}), ${formatDuration(summary.measuredMs)} measured`,
    `model    ${t.model}, version ${t.version ?? 'not reported'}, signature ${t.signature}${d ? `; ${d.scenario} in run ${d.runId}, image ${d.image}` : ''}`,
    `requests ${r.total}  ok ${r.ok}  failed ${r.failed} (${pct(r.errorRatio)})  ${r.rps} req/s  late ${r.late}  dropped ${r.dropped}`,
    `latency  p50 ${msText(l.p50)}  p90 ${msText(l.p90)}  p95 ${msText(l.p95)}  p99 ${msText(l.p99)}  p99.9 ${msText(l['p99.9'])}  max ${msText(l.max)}`,
    ...summary.failures.map((f) => `failure  ${f.count} x ${f.code}: ${f.sample}`),
    ...summary.thresholds.map(
      (t) => `${t.ok ? 'pass' : 'FAIL'}     ${t.expression} (measured ${t.actual ?? 'nothing'})`,
    ),
    ...summary.generator.reasons.map((reason) => `generator-limited: ${reason}`),
    ...(summary.capacity ? capacityLines(summary.capacity) : []),
    ...(summary.stopped ? [`stopped early: ${summary.stopped}`] : []),
    summary.passed ? 'PASSED' : 'FAILED',
  ];
  return `${lines.join('\n')}\n`;
}

/** One probe of a capacity search, as printed when it ends. */
export function probeLine(probe: CapacityProbe, index: number): string {
  const verdict = !probe.valid ? 'INVALID' : probe.passed ? 'held' : 'over';
  return `probe ${index + 1}: ${probe.rps} req/s offered, ${probe.achievedRps} achieved, p99 ${msText(probe.p99Ms)}, errors ${pct(probe.errors)}: ${verdict} (${probe.reason})`;
}

function capacityLines(capacity: Capacity): string[] {
  const bounds = `p99 <= ${capacity.p99BoundMs} ms, errors <= ${pct(capacity.errorsBound)}`;
  return [
    `capacity ${capacity.rps ?? 'none'} req/s within ${bounds} (${capacity.probes.length} probes): ${capacity.verdict}`,
  ];
}

/** A capacity search on the console: its start, a line as each probe ends, and the summary at the end. */
export function capacityConsole(progress: Progress, deps: Pick<OutputDeps, 'stream'>) {
  const { stream } = deps;
  const mode = progress === 'auto' ? (stream.isTTY ? 'line' : 'log') : progress;
  const write = (message: string, fields: Record<string, unknown> = {}): void => {
    if (mode === 'log') stream.write(`${JSON.stringify({ severity: 'INFO', message, ...fields })}\n`);
    else if (mode !== 'off') stream.write(`${message}\n`);
  };
  return {
    start: (description: string): void => write(`loadtest: ${description}`),
    probe: (probe: CapacityProbe, index: number): void =>
      mode === 'log' ? write('capacity probe', { probe: index + 1, ...probe }) : write(probeLine(probe, index)),
    stop(summary: Summary): void {
      if (mode === 'log') write('capacity search finished', { capacity: { ...summary.capacity, probes: undefined } });
      stream.write(summaryText(summary));
    },
  };
}

/** The live line on a terminal, a JSON log line every 10 s elsewhere, and the summary at the end. */
export function consoleOutput(progress: Progress, deps: Pick<OutputDeps, 'stream'>): Output {
  const { stream } = deps;
  const mode = progress === 'auto' ? (stream.isTTY ? 'line' : 'log') : progress;
  let width = 0;
  return {
    start(meta) {
      if (mode === 'off') return;
      const o = meta.options;
      const text = `loadtest: ${meta.description} against ${o.target.authority} (${o.protocol}) for ${formatDuration(o.durationMs)}`;
      stream.write(mode === 'log' ? `${JSON.stringify({ severity: 'INFO', message: text })}\n` : `${text}\n`);
    },
    add(tick: Tick) {
      const t = tick.total;
      const rps = tick.window?.requests ?? 0;
      const p95 = tick.window ? latencyAt(tick.window, 95) : null;
      const errors = t.requests ? t.failures / t.requests : 0;
      if (mode === 'line') {
        const line = `${Math.round(tick.elapsedMs / 1000)}s  ${rps} req/s  p95 ${msText(p95)}  errors ${pct(errors)}  requests ${t.requests}  cpu ${Math.round(tick.cpuPercent)}%`;
        stream.write(`\r${line.padEnd(width)}`);
        width = line.length;
      } else if (mode === 'log' && (tick.second + 1) % LOG_EVERY_S === 0) {
        const fields = {
          elapsedS: tick.second + 1,
          rps,
          p95Ms: p95,
          errorRatio: errors,
          requests: t.requests,
          failures: t.failures,
          cpuPercent: Math.round(tick.cpuPercent),
        };
        stream.write(`${JSON.stringify({ severity: 'INFO', message: 'loadtest progress', ...fields })}\n`);
      }
    },
    async stop(summary) {
      if (mode === 'line') stream.write(`\r${''.padEnd(width)}\r`);
      if (mode === 'log') {
        const { requests, latencyMs, passed, stopped, generator } = summary;
        stream.write(
          `${JSON.stringify({ severity: passed ? 'INFO' : 'WARNING', message: 'loadtest finished', passed, stopped, requests, latencyMs, generator })}\n`,
        );
      }
      // --progress off hides the progress, never the result.
      stream.write(summaryText(summary));
    },
  };
}
