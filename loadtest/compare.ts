import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ModelshipError } from '../shared/errors.js';
import { compareRuns, type Comparison } from '../shared/report/compare-runs.js';
import { SUMMARY_SCHEMA, type Summary } from './summary.js';

/** DIR/summary.json, or the file itself. */
async function summaryFile(path: string): Promise<string> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ? join(path, 'summary.json') : path;
}

/** Reads DIR/summary.json (or the file itself) and checks it is a summary this version understands. */
export async function readSummary(path: string): Promise<Summary> {
  const file = await summaryFile(path);
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

/** The directory a run's files are in. */
const runDir = (path: string): string => resolve(path.replace(/\/summary\.json$/, ''));

/**
 * A run's label: its scenario and which run it was (the pipeline's run id, else its directory's name), so two runs
 * of one scenario are told apart.
 */
export function runLabel(summary: Summary, path: string): string {
  const run = summary.deployment?.runId ?? basename(runDir(path));
  const scenario = summary.deployment?.scenario ?? summary.scenario;
  return scenario && scenario !== run ? `${scenario} · ${run}` : run;
}

/** Where `compare` writes without --out: `compare/` beside the first run's directory, never the current one. */
export const defaultCompareOut = (paths: readonly string[]): string =>
  join(dirname(runDir(paths[0] ?? '.')), 'compare');

/** The runs in these directories side by side, the first as the baseline. */
export async function compareDirs(paths: readonly string[]): Promise<Comparison> {
  const runs = await Promise.all(
    paths.map(async (path) => {
      const summary = await readSummary(path);
      return { label: runLabel(summary, path), summary };
    }),
  );
  return compareRuns(runs);
}
