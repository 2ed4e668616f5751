import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Storage } from '@google-cloud/storage';
import { afterAll, describe, expect, it } from 'vitest';
import { createReportStore } from '../../../shared/report-store.js';

const root = mkdtempSync(join(tmpdir(), 'modelship-report-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const noStorage = (): Storage => {
  throw new Error('a directory store never opens Cloud Storage');
};

describe('the directory report store’s objects', () => {
  it('writes, reads and lists objects by path, none missing and no partial ones', async () => {
    const store = createReportStore(pathToFileURL(root).href, noStorage);
    expect(await store.list('runs/r1/s')).toEqual([]);
    expect(await store.getObject('runs/r1/s/tasks/0/ready.json')).toBeUndefined();
    await store.putObject('runs/r1/s/tasks/0/ready.json', '{"readyAt":1}');
    await store.putObject('runs/r1/s/tasks/10/result.json', '{}');
    await store.putObject('runs/r1/other/tasks/0/ready.json', '{}');
    expect((await store.list('runs/r1/s')).sort()).toEqual([
      'runs/r1/s/tasks/0/ready.json',
      'runs/r1/s/tasks/10/result.json',
    ]);
    expect(await store.getObject('runs/r1/s/tasks/0/ready.json')).toBe('{"readyAt":1}');
    expect(readdirSync(join(root, 'runs/r1/s/tasks/0'))).toEqual(['ready.json']);
  });
});
