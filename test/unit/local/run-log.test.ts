import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logLine, runLog } from '../../../local/run-log.js';

const entry = (runId: string, severity: string, message: string, more: object = {}) =>
  JSON.stringify({ function: 'launchLoadTest', runId, severity, message, time: '2026-12-06T23:30:40.123Z', ...more });

describe('runLog', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'run-log-')), 'functions.log');
  writeFileSync(
    file,
    [
      entry('r-1', 'INFO', 'load test launched'),
      entry('r-2', 'ERROR', 'another run'),
      entry('r-1', 'ERROR', 'load test not launched; will be retried', { error: 'UNAVAILABLE', scenario: 's' }),
      'TransientError: a stack trace the process printed',
      '    at publish (file:///dist/shared/gcp/publisher.js:25:19)',
      '{"cut short',
      entry('r-1', 'WARNING', 'claim busy'),
      JSON.stringify({ severity: 'INFO', message: 'labelled', 'logging.googleapis.com/labels': { runId: 'r-1' } }),
    ].join('\n'),
  );

  it("keeps one run's entries, oldest first, at the severity asked or above, and skips what is not an entry", async () => {
    expect((await runLog(file, 'r-1')).map((e) => e.message)).toEqual([
      'load test launched',
      'load test not launched; will be retried',
      'claim busy',
      'labelled',
    ]);
    expect(await runLog(file, undefined, 'ERROR')).toHaveLength(2);
    expect((await runLog(file, 'r-1', 'WARNING')).map((e) => e.severity)).toEqual(['ERROR', 'WARNING']);
    expect(await runLog(join(file, '..', 'none.log'), 'r-1')).toEqual([]);
  });

  it('prints an entry on one line with its function, scenario and error', async () => {
    const [failed] = await runLog(file, 'r-1', 'ERROR');
    expect(logLine(failed!)).toBe(
      '23:30:40.123 ERROR   launchLoadTest s: load test not launched; will be retried: UNAVAILABLE',
    );
  });
});
