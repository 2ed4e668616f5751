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

/**
 * The entries of one run in a functions log, oldest first, at `minSeverity` or above: what Cloud Logging's
 * `jsonPayload.runId="…" severity>=WARNING` shows in Google Cloud. Lines that are not entries (a stack trace a
 * process printed) are skipped; a log that does not exist yet has no entries.
 */
export async function runLog(file: string, runId: string, minSeverity = 'DEBUG'): Promise<LogEntry[]> {
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
    if (entry.runId === runId && (RANK[entry.severity] ?? 0) >= min) entries.push(entry);
  }
  return entries;
}

/** An entry on one line: time, function, scenario, message and its error. */
export function logLine(e: LogEntry): string {
  const where = [e.function, e.scenario].filter(Boolean).join(' ');
  return `${e.time.slice(11, 23)} ${e.severity.padEnd(7)} ${where}: ${e.message}${e.error ? `: ${e.error}` : ''}`;
}
