import { PIPELINE_STAGES } from '../shared/messages.js';
import type { RunRecord, StageRecord } from '../shared/store.js';

/** How runs read on a terminal: `modelship runs`, `modelship local` and the demo share these lines. */

const ICON: Record<string, string> = { running: '…', succeeded: '✓', failed: '✗', skipped: '-' };

export const formatMs = (ms: number | undefined): string =>
  ms === undefined ? '' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;

/** The details worth a glance, in this order; URLs and the rest are in `modelship runs show`. */
const GLANCE = ['scenario', 'buildId', 'image', 'endpoint', 'execution', 'releaseUrl'] as const;

/** Digests and resource names are long: their ends tell them apart. */
function glance(key: string, value: unknown): string {
  const text = String(value);
  if (key === 'image') return text.replace(/@sha256:([a-f0-9]{12})[a-f0-9]+$/, '@sha256:$1…');
  if (key === 'execution') return text.split('/').at(-1) ?? text;
  return text;
}

export function stageLine(stage: string, record: StageRecord): string {
  const details = GLANCE.filter((k) => record.details?.[k] !== undefined)
    .map((k) => `${k}=${glance(k, record.details?.[k])}`)
    .join(' ');
  const reason = record.reason ? `: ${record.reason}` : '';
  return `${ICON[record.status] ?? '?'} ${stage.padEnd(9)} ${formatMs(record.durationMs).padStart(8)}  ${details}${reason}`;
}

/** What the table shows of a run: the store's record has it, and so has a record file once its release is split. */
export type RunSummary = Pick<RunRecord, 'runId' | 'status' | 'stages' | 'failure' | 'repository' | 'tag'>;

/** One line per run, newest first: id, status, release, how far it got. */
export function runsTable(runs: readonly RunSummary[]): string {
  if (runs.length === 0) return 'no runs yet';
  const rows = runs.map((r) => {
    const reached = PIPELINE_STAGES.filter((s) => r.stages[s]).at(-1) ?? '-';
    const release = r.repository ? `${r.repository}@${r.tag ?? '?'}` : '(redeploy)';
    const outcome = r.failure ? `failed at ${r.failure.stage}: ${r.failure.reason}` : r.status;
    return [r.runId, reached, release, outcome];
  });
  const widths = [0, 1, 2].map((i) =>
    Math.max(...rows.map((row) => row[i]?.length ?? 0), ['run', 'stage', 'release'][i]!.length),
  );
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c)).join('  ');
  return [line(['run', 'stage', 'release', 'outcome']), ...rows.map(line)].join('\n');
}

/** Everything about one run. */
export function runDetail(run: RunRecord): string {
  const lines = [
    `run ${run.runId}: ${run.status}${run.failure ? ` (failed at ${run.failure.stage}: ${run.failure.reason})` : ''}`,
    `  release  ${run.repository ? `${run.repository}@${run.tag ?? '?'}` : '(none: a redeploy)'}`,
    `  created  ${run.createdAt}   updated ${run.updatedAt}`,
    ...PIPELINE_STAGES.filter((s) => run.stages[s]).map((s) => `  ${stageLine(s, run.stages[s] as StageRecord)}`),
  ];
  if (run.failure?.detailsUrl) lines.push(`  details  ${run.failure.detailsUrl}`);
  lines.push(...candidateLines(run).map((l) => `  ${l}`));
  return lines.join('\n');
}

/** One line per candidate (figures and verdict), then the promotion: what a release's run measured and decided. */
export function candidateLines(run: RunRecord): string[] {
  const entries = Object.entries(run.scenarios ?? {});
  if (entries.length === 0) return [];
  const width = Math.max(...entries.map(([key]) => key.length));
  const lines = entries.map(([key, c]) => {
    const f = c.figures;
    const figures = f
      ? `${(f.capacity?.rps ?? f.rps).toFixed(1).padStart(7)} req/s  p50 ${f.p50Ms} ms  p95 ${f.p95Ms} ms  p99 ${f.p99Ms} ms  ${f.failures} errors`
      : c.status === 'failed'
        ? `failed at ${c.stage ?? '?'}: ${c.reason ?? ''}`
        : c.status;
    const verdict = c.verdict
      ? `  ${c.verdict.passed ? '✓ passed' : '✗ refused'}: ${c.verdict.reasons.join('; ')}`
      : '';
    return `${ICON[c.status] ?? '?'} ${key.padEnd(width)}  ${figures}${verdict}`;
  });
  const p = run.promotion;
  if (p)
    lines.push(
      `→ ${p.status === 'promoted' ? `promoted ${p.scenario}` : p.status === 'pending' ? `promoting ${p.scenario ?? 'nothing'}` : p.status === 'failed' ? `promotion of ${p.scenario} failed` : 'nothing promoted'}: ${p.reason}`,
    );
  return lines;
}
