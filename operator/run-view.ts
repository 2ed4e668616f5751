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

/** One line per run, newest first: id, status, release, how far it got. */
export function runsTable(runs: readonly RunRecord[]): string {
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
  if (run.result) lines.push(`  result   ${JSON.stringify(run.result)}`);
  return lines.join('\n');
}
