import { readFile } from 'node:fs/promises';

/** One structured line of the functions' log (shared/log.ts writes them, as Cloud Logging reads them). */
export interface LogEntry {
  time: string;
  severity: string;
  message: string;
  function?: string;
  runId?: string;
  scenario?: string;
  error?: string;
  [field: string]: unknown;
}

const RANK: Record<string, number> = { DEBUG: 0, INFO: 1, NOTICE: 2, WARNING: 3, ERROR: 4, CRITICAL: 5 };

/** The label the functions' logger puts a run id under, as Cloud Logging shows it (`labels."runId"`). */
const LABELS = 'logging.googleapis.com/labels';

/** The entry's run: its `runId` field, or its `runId` label. */
const runOf = (e: LogEntry) => e.runId ?? (e[LABELS] as { runId?: string } | undefined)?.runId;

/**
 * The entries of one run (every entry, without `runId`) in a functions log, oldest first, at `minSeverity` or
 * above: what Cloud Logging's `labels."runId"="…" severity>=WARNING` (or `jsonPayload.runId`) shows in Google Cloud.
 * Lines that are not entries (a stack trace a process printed) are skipped; a log that does not exist yet has none.
 */
export async function runLog(file: string, runId: string | undefined, minSeverity = 'DEBUG'): Promise<LogEntry[]> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  const min = RANK[minSeverity] ?? 0;
  const entries: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: LogEntry;
    try {
      entry = JSON.parse(line) as LogEntry;
    } catch {
      continue;
    }
    if ((runId === undefined || runOf(entry) === runId) && (RANK[entry.severity] ?? 0) >= min) entries.push(entry);
  }
  return entries;
}

/** An entry on one line: time, function, scenario, message and its error. */
export function logLine(e: LogEntry): string {
  const where = [e.function, e.scenario].filter(Boolean).join(' ');
  return `${e.time.slice(11, 23)} ${e.severity.padEnd(7)} ${where}: ${e.message}${e.error ? `: ${e.error}` : ''}`;
}
