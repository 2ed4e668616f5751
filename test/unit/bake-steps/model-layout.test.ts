import { lstat, mkdir, mkdtemp, readdir, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BakeError } from '../../../bake-steps/bake-error.js';
import { layOutModel } from '../../../bake-steps/model-layout.js';
import { readSimModelFile, SEED_SIGNATURES, writeFixtureSavedModel } from '../../../shared/tfserving/index.js';

let work: string;
let n = 0;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'modelship-layout-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A release tree made by `make` in a fresh directory; returns where to lay it out too. */
async function release(make: (dir: string) => Promise<unknown>) {
  const dir = join(work, `r${++n}`);
  await mkdir(join(dir, 'release'), { recursive: true });
  await make(join(dir, 'release'));
  return { source: join(dir, 'release'), dest: join(dir, 'image-root') };
}

const OPTIONS = { modelName: 'resnet', version: 3 };

async function refused(tree: { source: string; dest: string }, failure: string, says: RegExp) {
  const err = await layOutModel(tree.source, tree.dest, OPTIONS).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BakeError);
  expect((err as BakeError).failure).toBe(failure);
  expect((err as BakeError).message).toMatch(says);
}

describe('layOutModel', () => {
  it('keeps the version directory of the seed layout and lays it out as models/NAME/VERSION', async () => {
    const tree = await release((dir) => writeFixtureSavedModel(dir, { version: 1 }));
    const model = await layOutModel(tree.source, tree.dest, OPTIONS);
    expect(model).toMatchObject({ version: 1, versionAdded: false, foundAt: '1', files: 3 });
    expect(Object.keys(model.signatures).sort()).toEqual(Object.keys(SEED_SIGNATURES).sort());
    expect(await readdir(join(tree.dest, 'models', 'resnet'))).toEqual(['1']);
    expect((await readdir(join(tree.dest, 'models', 'resnet', '1'))).sort()).toEqual(['saved_model.pb', 'variables']);
  });

  it("carries the simulator's assets.extra/tfs-sim.json into the image with the model", async () => {
    const tree = await release((dir) => writeFixtureSavedModel(dir, { version: 1, simSlowdown: 1.1 }));
    await layOutModel(tree.source, tree.dest, OPTIONS);
    expect(await readSimModelFile(join(tree.dest, 'models', 'resnet', '1'))).toEqual({ slowdown: 1.1 });
  });

  it('gives a version directory to a SavedModel at the top, or under a directory that is not a number', async () => {
    const top = await release(async (dir) => {
      await writeFixtureSavedModel(dir, { version: 1 });
      for (const name of await readdir(join(dir, '1'))) await rename(join(dir, '1', name), join(dir, name));
      await rm(join(dir, '1'), { recursive: true });
    });
    expect(await layOutModel(top.source, top.dest, OPTIONS)).toMatchObject({
      version: 3,
      versionAdded: true,
      foundAt: '',
    });
    expect(await readdir(join(top.dest, 'models', 'resnet'))).toEqual(['3']);

    const named = await release((dir) =>
      writeFixtureSavedModel(join(dir, 'export'), { modelName: 'resnet', version: 7 }),
    );
    expect(await layOutModel(named.source, named.dest, OPTIONS)).toMatchObject({
      version: 7,
      versionAdded: false,
      foundAt: 'export/resnet/7',
    });
  });

  it('replaces links inside the SavedModel by the files they point at', async () => {
    const tree = await release(async (dir) => {
      const { versionPath } = await writeFixtureSavedModel(dir, { version: 1 });
      await writeFile(join(dir, 'weights.bin'), 'weights');
      await unlink(join(versionPath, 'variables', 'variables.index'));
      await symlink('../../weights.bin', join(versionPath, 'variables', 'variables.index'));
    });
    await layOutModel(tree.source, tree.dest, OPTIONS);
    const laid = join(tree.dest, 'models', 'resnet', '1', 'variables', 'variables.index');
    expect((await lstat(laid)).isFile()).toBe(true);
  });

  it.each([
    ['01', '1'],
    ['-1', '1'],
    ['1e3', '1000'],
    ['0', '1'],
    ['+2', '2'],
    [' 1', '1'],
    ['1.0', '1'],
    ['9007199254740993', '1'],
    ['export/007', 'export/7'],
  ])('refuses the version directory %j instead of renaming it, saying the rule and the fix', async (at, fix) => {
    const tree = await release(async (dir) => {
      const { versionPath } = await writeFixtureSavedModel(join(dir, 'tmp'), { version: 1 });
      await mkdir(join(dir, at, '..'), { recursive: true });
      await rename(versionPath, join(dir, at));
    });
    const err = await layOutModel(tree.source, tree.dest, OPTIONS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BakeError);
    expect((err as BakeError).failure).toBe('invalid-model');
    const name = at.split('/').at(-1);
    expect((err as BakeError).message).toBe(
      `the SavedModel is in ${at}/, and ${JSON.stringify(name)} is not a version directory: a TF Serving version ` +
        'directory is a positive whole number in base 10, without sign, leading zeros, exponent, decimal point or ' +
        `spaces, at most 9007199254740991 (rename ${at}/ to ${fix}/ in the release, or put the SavedModel under a ` +
        'directory whose name is not a number to get version 3)',
    );
    expect(await readdir(tree.dest).catch(() => [])).toEqual([]);
  });

  it('keeps a large version directory as it is', async () => {
    const tree = await release((dir) => writeFixtureSavedModel(dir, { version: 1700000000 }));
    expect(await layOutModel(tree.source, tree.dest, OPTIONS)).toMatchObject({
      version: 1700000000,
      versionAdded: false,
    });
  });

  it('refuses a release without saved_model.pb, naming what it holds', async () => {
    const tree = await release(async (dir) => {
      await mkdir(join(dir, '1', 'variables'), { recursive: true });
      await writeFile(join(dir, 'README.md'), 'hello');
    });
    await refused(tree, 'no-saved-model', /holds no saved_model\.pb \(its top level: 1, README\.md\)/);
  });

  it('refuses two SavedModels, one without variables/, one without a serving signature, and a corrupt one', async () => {
    await refused(
      await release(async (dir) => {
        await writeFixtureSavedModel(join(dir, 'a'), { version: 1 });
        await writeFixtureSavedModel(join(dir, 'b'), { version: 1 });
      }),
      'invalid-model',
      /holds 2 SavedModels \(a\/1, b\/1\); expected one/,
    );
    await refused(
      await release(async (dir) =>
        rm(join((await writeFixtureSavedModel(dir)).versionPath, 'variables'), { recursive: true }),
      ),
      'invalid-model',
      /has no variables\/ directory/,
    );
    const initOnly = { __saved_model_init_op: SEED_SIGNATURES.__saved_model_init_op! };
    await refused(
      await release((dir) => writeFixtureSavedModel(dir, { signatures: initOnly })),
      'invalid-model',
      /has no serving signature \(found: __saved_model_init_op\)/,
    );
    await refused(
      await release(async (dir) =>
        writeFile(join((await writeFixtureSavedModel(dir)).versionPath, 'saved_model.pb'), 'not a protobuf'),
      ),
      'invalid-model',
      /not servable: .*is not a SavedModel protobuf/,
    );
  });
});
