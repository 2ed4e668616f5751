import { join } from 'node:path';
import { startLocalUp, type LocalUpOptions } from '../../local/local-up.js';
import { runLog } from '../../local/run-log.js';
import { stillRunning } from '../../local/process-start.js';
import { readStackRecord, removeStackRecord, stackRecordFile } from '../../local/stack-record.js';
import { waitUntil } from '../../local/wait-until.js';
import { ModelshipError } from '../../shared/errors.js';
import { interruptOnSignals } from '../interrupt.js';

/** `local down` waits this long for the stack to stop (containers take seconds each to stop). */
const DOWN_TIMEOUT_MS = 120_000;

/**
 * `modelship local up`: the stack comes up, what points the clients at it is printed and written to DIR/env, and it
 * stays up until a signal (Ctrl-C, `local down`'s SIGTERM, a closed terminal); then everything it started stops.
 */
export async function localUp(o: LocalUpOptions): Promise<number> {
  const interrupt = interruptOnSignals();
  try {
    const up = await startLocalUp(o);
    try {
      const { record } = up;
      o.print(
        `  ✓ local stack up (process ${record.pid}); functions at ${record.functionsUrl}; logs in ${record.logDir}`,
      );
      o.print(
        `  addresses: ${Object.entries(record.addresses)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
      o.print(`  point the clients at it (also in ${up.envFile}: source it):`);
      for (const [name, value] of Object.entries(record.env)) o.print(`    export ${name}=${value}`);
      o.print(`ready: ${stackRecordFile(o.dir)}; stop with Ctrl-C or modelship local down --dir ${o.dir}`);
      if (!interrupt.signal.aborted) {
        await new Promise((resolve) => interrupt.signal.addEventListener('abort', resolve, { once: true }));
      }
    } finally {
      await up.stop();
    }
    o.print('stopped: everything the local stack started is stopped');
    return 0;
  } finally {
    interrupt.dispose();
  }
}

/** `modelship local down`: SIGTERM to the recorded `local up`, and its exit awaited. */
export async function localDown(dir: string, print: (line: string) => void): Promise<number> {
  const found = await readStackRecord(dir);
  if (!found) {
    throw new ModelshipError(`no local stack is up in ${dir} (no ${stackRecordFile(dir)})`, {
      hint: `start one with 'modelship local up --dir ${dir}', or name its directory with --dir`,
    });
  }
  const { pid } = found.record;
  if (!stillRunning(found.record)) {
    await removeStackRecord(dir);
    throw new ModelshipError(
      `the local stack recorded in ${stackRecordFile(dir)} (process ${pid}) is not running: removed its stale record`,
      { hint: `start a new one with 'modelship local up --dir ${dir}'` },
    );
  }
  const t0 = performance.now();
  process.kill(pid, 'SIGTERM');
  await waitUntil(
    `process ${pid} (modelship local up) to exit`,
    async () => (stillRunning(found.record) ? undefined : true),
    {
      timeoutMs: DOWN_TIMEOUT_MS,
      intervalMs: 200,
    },
  ).catch((err: Error) => {
    throw new ModelshipError(err.message, { hint: `see ${found.record.logDir}; kill -9 ${pid} stops it at once` });
  });
  print(`stopped the local stack of ${dir} (process ${pid}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

/**
 * `modelship local logs`: the functions' log entries as JSON lines, those of one run with `runId` (as Cloud
 * Logging's `labels."runId"="RUN_ID"` filter shows them).
 */
export async function localLogs(dir: string, runId: string | undefined, print: (line: string) => void) {
  const file = join(dir, 'logs', 'functions.log');
  const entries = await runLog(file, runId);
  if (entries.length === 0) {
    throw new ModelshipError(runId ? `no entries of run ${runId} in ${file}` : `no log entries in ${file}`, {
      hint: runId
        ? "'modelship runs' lists the runs"
        : 'start a stack with modelship local up --dir DIR, or name its --dir',
    });
  }
  for (const entry of entries) print(JSON.stringify(entry));
  return 0;
}
