import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localDown } from '../../../cli/commands/local-stack.js';
import { attachStack } from '../../../local/attached-stack.js';
import { processId, stillRunning, type ProcessId } from '../../../local/process-start.js';
import { readStackRecord, writeStackRecord, type StackRecord } from '../../../local/stack-record.js';

/** A PID that was a process a moment ago and is no more. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid as number;

const record = (process: ProcessId): StackRecord => ({
  ...process,
  startedAt: '2026-12-07T00:00:00.000Z',
  project: 'modelship-local',
  runtime: 'processes',
  namespace: 'default',
  functionsUrl: 'http://127.0.0.1:1',
  github: { apiUrl: 'http://127.0.0.1:2/api', serverUrl: 'http://127.0.0.1:2' },
  addresses: { pubsub: '127.0.0.1:3', firestore: '127.0.0.1:4' },
  env: { GOOGLE_CLOUD_PROJECT: 'modelship-local' },
  kubeconfig: '/nowhere/kubeconfig',
  logDir: '/nowhere/logs',
});
const secrets = { webhookSecret: 'w', githubToken: 't' };

describe('the stack record of local up', () => {
  it('is read back as written, its secrets readable by the owner only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-record-'));
    expect(await readStackRecord(dir)).toBeUndefined();
    const me = processId(process.pid);
    await writeStackRecord(dir, record(me), secrets);
    expect(await readStackRecord(dir)).toEqual({ record: record(me), secrets });
    expect(statSync(join(dir, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(stillRunning(me)).toBe(true);
  });

  it('of a stack whose process is gone: local release refuses it, local down reports and removes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-record-'));
    const pid = deadPid();
    expect(stillRunning(processId(pid))).toBe(false);
    await writeStackRecord(dir, record(processId(pid)), secrets);
    await expect(attachStack(dir)).rejects.toThrow(`process ${pid} is not running any more`);
    await expect(localDown(dir, () => undefined)).rejects.toThrow(/is not running: removed its stale record/);
    expect(existsSync(join(dir, 'stack.json'))).toBe(false);
    await expect(localDown(dir, () => undefined)).rejects.toThrow(/no local stack is up/);
  });

  it('of a process that is not the stack any more (its PID given to another): refused the same way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-record-'));
    // This test's own PID, with another start time: what a reused PID looks like.
    await writeStackRecord(dir, record({ pid: process.pid, start: '1' }), secrets);
    await expect(attachStack(dir)).rejects.toThrow(`process ${process.pid} is not running any more`);
    await expect(localDown(dir, () => undefined)).rejects.toThrow(/is not running: removed its stale record/);
  });
});
