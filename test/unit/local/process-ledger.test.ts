import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearLeftovers, openLedger } from '../../../local/process-ledger.js';
import { processStart } from '../../../local/process-start.js';
import { ModelshipError } from '../../../shared/errors.js';

let dir: string;
const children: ChildProcess[] = [];

/** A process that runs until it is stopped, as an emulator would. */
function longRunning(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'modelship-ledger-'));
});

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** The ledger a stack owned by `owner` wrote before it was killed. */
function ledgerOf(owner: { pid: number; start: string }, processes: { pid: number; start: string }[]) {
  writeFileSync(join(dir, 'processes.json'), JSON.stringify({ owner, processes }));
}

describe('the process ledger of a local stack', () => {
  it('stops what a killed stack left, by its recorded PIDs, and forgets them', async () => {
    const owner = longRunning();
    const ownerRecord = { pid: owner.pid!, start: processStart(owner.pid!)! };
    const left = longRunning();
    ledgerOf(ownerRecord, [{ pid: left.pid!, start: processStart(left.pid!)! }]);
    owner.kill('SIGKILL');
    await exited(owner);
    const printed: string[] = [];
    await clearLeftovers(dir, (line) => printed.push(line));
    await exited(left);
    expect(left.signalCode).toBe('SIGTERM');
    expect(printed.join('\n')).toMatch(new RegExp(`left in .*: 1 processes \\(${left.pid}\\)`));
    await clearLeftovers(dir, (line) => printed.push(line));
    expect(printed).toHaveLength(1);
  });

  it('leaves alone a process that has the PID but not the start time recorded', async () => {
    const other = longRunning();
    ledgerOf({ pid: 999_999_999, start: '1' }, [{ pid: other.pid!, start: '1' }]);
    await clearLeftovers(dir, () => undefined);
    expect(other.exitCode).toBeNull();
    expect(other.signalCode).toBeNull();
    expect(processStart(other.pid!)).toBeDefined();
  });

  it('refuses to start a second stack beside one that runs', async () => {
    const ledger = await openLedger(dir);
    await expect(clearLeftovers(dir, () => undefined)).rejects.toThrow(ModelshipError);
    await expect(clearLeftovers(dir, () => undefined)).rejects.toThrow(
      new RegExp(`a local stack \\(process ${process.pid}\\) already runs in ${dir}`),
    );
    await ledger.close();
    await expect(clearLeftovers(dir, () => undefined)).resolves.toBeUndefined();
  });
});
