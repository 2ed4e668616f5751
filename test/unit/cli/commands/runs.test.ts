import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runs } from '../../../../cli/commands/runs.js';
import { ModelshipError } from '../../../../shared/errors.js';

let dir: string;
let printed: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'modelship-runs-'));
  printed = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
  vi.spyOn(process.stdout, 'write').mockImplementation((text) => printed.push(String(text)) > 0);
  // No Firestore, no credentials: what a fresh machine has.
  vi.stubEnv('FIRESTORE_EMULATOR_HOST', undefined);
  vi.stubEnv('GOOGLE_CLOUD_PROJECT', undefined);
  vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', undefined);
  vi.stubEnv('CLOUDSDK_CONFIG', undefined);
  vi.stubEnv('HOME', dir);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

const record = (runId: string, createdAt: string, failure: object | null = null) => ({
  runId,
  status: failure ? 'failed' : 'succeeded',
  release: { repository: 'modelship/resnet50', tag: 'v1.0.0' },
  createdAt,
  updatedAt: createdAt,
  stages: { webhook: { status: 'succeeded' }, bake: { status: failure ? 'failed' : 'succeeded' } },
  candidates: [],
  failure,
});

describe('modelship runs without a Firestore', () => {
  it('lists the records local release kept, newest first', async () => {
    mkdirSync(join(dir, 'runs'));
    writeFileSync(join(dir, 'runs', 'r-old.json'), JSON.stringify(record('r-old', '2026-12-01T00:00:00Z')));
    const failed = record('r-new', '2026-12-02T00:00:00Z', { stage: 'bake', reason: 'no saved_model.pb' });
    writeFileSync(join(dir, 'runs', 'r-new.json'), JSON.stringify(failed));
    writeFileSync(join(dir, 'runs', 'r-new.notes.md'), '# notes');
    expect(await runs.run(['--dir', dir])).toBe(0);
    const rows = printed.join('\n').split('\n');
    expect(rows[0]).toContain(`runs recorded by modelship local release in ${join(dir, 'runs')}`);
    expect(rows.slice(2).map((r) => r.split(/\s+/)[0])).toEqual(['r-new', 'r-old']);
    expect(rows[2]).toMatch(/bake\s+modelship\/resnet50@v1\.0\.0\s+failed at bake: no saved_model\.pb/);
    printed.length = 0;
    expect(await runs.run(['show', 'r-old', '--dir', dir])).toBe(0);
    expect(JSON.parse(printed.join(''))).toMatchObject({ runId: 'r-old', status: 'succeeded' });
  });

  it('says where it looked when there is nothing to read', async () => {
    const err = await runs.run(['--dir', dir]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelshipError);
    expect((err as Error).message).toMatch(
      /^no runs to read: neither FIRESTORE_EMULATOR_HOST nor GOOGLE_CLOUD_PROJECT is set, no local stack is up in .*, and .*runs holds no run records \(set GOOGLE_CLOUD_PROJECT/,
    );
  });

  it('refuses a project without credentials before it builds a client', async () => {
    vi.stubEnv('GOOGLE_CLOUD_PROJECT', 'my-project');
    const err = await runs.run(['--dir', dir]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelshipError);
    expect((err as Error).message).toMatch(/^cannot reach firestore of project my-project: no Application Default/);
  });
});
