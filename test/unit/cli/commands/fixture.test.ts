import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { layOutModel } from '../../../../bake-steps/model-layout.js';
import { fixtureCommand } from '../../../../cli/commands/fixture.js';
import { UsageError } from '../../../../shared/command-line.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'modelship-fixture-'));
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe('modelship fixture saved-model', () => {
  it('writes a SavedModel that the bake accepts, with the seed’s signature', async () => {
    expect(await fixtureCommand.run(['saved-model', join(dir, 'model')])).toBe(0);
    const model = await layOutModel(join(dir, 'model'), join(dir, 'out'), { modelName: 'resnet', version: 1 });
    expect(model.signatures['serving_default']?.inputs['image_input']).toMatchObject({ dtype: 'DT_FLOAT' });
    expect(model.foundAt).toBe('1');
  });

  it('overwrites nothing, and says so', async () => {
    mkdirSync(join(dir, 'model'));
    writeFileSync(join(dir, 'model', 'mine.txt'), 'x');
    await expect(fixtureCommand.run(['saved-model', join(dir, 'model')])).rejects.toThrow(
      new UsageError(`${join(dir, 'model')} is not empty: give a new directory, so nothing is overwritten`),
    );
  });

  it('refuses a fixture it does not know and a bad slowdown', async () => {
    await expect(fixtureCommand.run(['tarball', dir])).rejects.toThrow(/unknown fixture 'tarball'/);
    await expect(fixtureCommand.run(['saved-model', join(dir, 'm'), '--slowdown', '0'])).rejects.toThrow(
      /--slowdown must be a positive number, not '0'/,
    );
  });
});
