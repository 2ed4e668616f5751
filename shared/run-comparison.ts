import { armOf } from './arm.js';
import { errorMessage } from './errors.js';
import type { Logger } from './log.js';
import { compareRuns, type ComparedRun, type ComparedSummary } from './report/compare-runs.js';
import type { ReportStore } from './report-store.js';
import type { RunRecord, Store } from './store.js';

/** Where a run's comparison goes: beside its candidates' reports (`runs/RUN_ID/KEY/report.html`). */
export const runComparisonPath = (runId: string): string => `runs/${runId}/compare.html`;

/** Each scenario's baseline (the serving image) first, then the release: the first row is what Δ is against. */
const order = (key: string): string => `${armOf(key).scenario}\u0000${armOf(key).arm === 'baseline' ? 0 : 1}`;

/**
 * The candidates of a run side by side (`modelship compare`'s page) from the summaries their jobs stored, written
 * under the run's report prefix. Only for a run with several measured candidates; returns the page's address. A
 * failure (a summary it cannot read, a store that refuses the write) is logged and leaves the run to go on: the
 * page adds to the reports, the gate needs none of it.
 */
export async function writeRunComparison(
  run: RunRecord,
  deps: { store: Store; reports: Pick<ReportStore, 'putObject'>; log: Logger },
): Promise<string | undefined> {
  try {
    const runs = await comparedRuns(run, deps.store);
    if (runs.length < 2) return undefined;
    const release = run.repository && run.tag ? ` of ${run.repository}@${run.tag}` : '';
    const { html } = compareRuns(runs, { title: `Run ${run.runId}${release}: the candidates side by side` });
    return await deps.reports.putObject(runComparisonPath(run.runId), html, 'text/html; charset=utf-8');
  } catch (err) {
    deps.log.warn('the run comparison page was not written', { runId: run.runId, error: errorMessage(err) });
    return undefined;
  }
}

/** The measured candidates with the summaries their jobs stored, labelled by scenario and arm. */
async function comparedRuns(run: RunRecord, store: Store): Promise<ComparedRun[]> {
  const keys = Object.keys(run.scenarios ?? {})
    .filter((key) => run.scenarios?.[key]?.figures)
    .sort((a, b) => order(a).localeCompare(order(b)));
  const runs: ComparedRun[] = [];
  for (const key of keys) {
    const saved = await store.loadTest(run.runId, key);
    if (typeof saved?.summaryJson !== 'string') continue;
    const { scenario, arm } = armOf(key);
    const label = arm === 'baseline' ? `${scenario} · baseline (serving)` : scenario;
    runs.push({ label, summary: JSON.parse(saved.summaryJson) as ComparedSummary });
  }
  return runs;
}
