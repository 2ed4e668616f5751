import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sourceHash } from '../../../../operator/gcp/source-hash.js';

describe('sourceHash', () => {
  let root = '';
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('changes with the sources and nothing else', async () => {
    root = mkdtempSync(join(tmpdir(), 'modelship-hash-'));
    mkdirSync(join(root, 'shared/deep'), { recursive: true });
    mkdirSync(join(root, 'node_modules'));
    writeFileSync(join(root, 'package.json'), '{}');
    writeFileSync(join(root, 'shared/deep/a.ts'), 'export const a = 1;');
    const parts = ['package.json', 'shared', 'missing-dir'];
    const first = await sourceHash(root, parts);
    expect(first).toMatch(/^[0-9a-f]{16}$/);

    writeFileSync(join(root, 'node_modules/x.js'), 'ignored');
    expect(await sourceHash(root, parts)).toBe(first);
    writeFileSync(join(root, 'shared/deep/a.ts'), 'export const a = 2;');
    expect(await sourceHash(root, parts)).not.toBe(first);
  });
});
