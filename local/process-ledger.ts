import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelshipError } from '../shared/errors.js';
import { podman, STACK_OWNER_LABEL } from './containers/podman.js';
import { ownerLabel, processId, stillRunning, type ProcessId } from './process-start.js';
import { waitUntil } from './wait-until.js';

/**
 * DIR/processes.json: the local stack's process and every process it starts (the emulators, the registry, the
 * functions), written as each starts and removed on a clean stop. A stack killed with SIGKILL cannot stop them; the
 * next one in DIR finds them here and stops them, by these PIDs only, each checked against the start time recorded
 * with it (a PID the kernel has since given to another process is left alone). Containers carry the stack's owner
 * label (containers/podman.ts), so they are found by it, not by name.
 */

interface Ledger {
  owner: ProcessId;
  processes: ProcessId[];
}

const ledgerFile = (dir: string) => join(dir, 'processes.json');

/** Records this process as a stack's owner in DIR, then each process it adds; `close` forgets them all. */
export async function openLedger(dir: string): Promise<{ add(pid: number): Promise<void>; close(): Promise<void> }> {
  const ledger: Ledger = { owner: processId(process.pid), processes: [] };
  // One write at a time: the stack and the emulators' spawns add concurrently.
  let writes = Promise.resolve();
  const save = () => (writes = writes.then(() => writeFile(ledgerFile(dir), `${JSON.stringify(ledger, null, 2)}\n`)));
  await save();
  return {
    async add(pid) {
      ledger.processes.push(processId(pid));
      await save();
    },
    // After the writes still queued: a spawn announced just before the stop must not write the file back.
    close: () => (writes = writes.then(() => rm(ledgerFile(dir), { force: true }))),
  };
}

/**
 * Stops what a stack killed in DIR left running, and says what it stopped. A stack still running there is an error:
 * two stacks in one directory would share its registry, logs and records.
 */
export async function clearLeftovers(dir: string, print: (line: string) => void): Promise<void> {
  const text = await readFile(ledgerFile(dir), 'utf8').catch(() => undefined);
  if (!text) return;
  const ledger = JSON.parse(text) as Ledger;
  if (stillRunning(ledger.owner)) {
    throw new ModelshipError(`a local stack (process ${ledger.owner.pid}) already runs in ${dir}`, {
      hint: `stop it (Ctrl-C, or modelship local down --dir ${dir}), or give this one another --dir`,
    });
  }
  const left = ledger.processes.filter(stillRunning);
  for (const p of left) process.kill(p.pid, 'SIGTERM');
  await waitUntil(
    'the processes a killed stack left to stop',
    async () => (left.some(stillRunning) ? undefined : true),
    {
      timeoutMs: 10_000,
    },
  ).catch(() => left.filter(stillRunning).forEach((p) => process.kill(p.pid, 'SIGKILL')));
  const owner = ownerLabel(ledger.owner);
  const containers = (await podman(['ps', '-aq', '--filter', `label=${STACK_OWNER_LABEL}=${owner}`]).catch(() => ''))
    .split('\n')
    .filter(Boolean);
  if (containers.length) await podman(['rm', '--force', '--time', '0', ...containers]).catch(() => undefined);
  if (left.length || containers.length)
    print(
      `stopped what a killed stack (process ${ledger.owner.pid}) left in ${dir}: ${left.length} processes (${left.map((p) => p.pid).join(', ') || 'none'}), ${containers.length} containers`,
    );
  await rm(ledgerFile(dir), { force: true });
}
