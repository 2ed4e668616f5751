import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directoryEntries, writeTarFile } from '../bake-steps/tar-writer.js';
import { UsageError } from '../shared/command-line.js';
import { writeFixtureSavedModel, type FixtureSavedModelOptions } from '../shared/tfserving/index.js';

/** A release asset from a SavedModel: a tarball as it is, or a directory packed as `tar czf` would pack it. */
export async function releaseTarball(model: string): Promise<Buffer> {
  const found = await stat(model).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') {
      throw new UsageError(`--model ${model} does not exist: give a SavedModel directory or a .tar.gz of one`);
    }
    throw err;
  });
  if (!found.isDirectory()) return readFile(model);
  const dir = await mkdtemp(join(tmpdir(), 'modelship-release-'));
  try {
    const file = join(dir, 'saved_model.tar.gz');
    await writeTarFile(directoryEntries(model), file, { gzip: true });
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The sample release of the demo: a generated SavedModel with the seed's signature, in version directory 1/; with
 * `simSlowdown`, a model that many times slower in the simulator (its assets.extra/tfs-sim.json, docs/tfserving.md).
 */
export async function sampleReleaseTarball(
  options: Pick<FixtureSavedModelOptions, 'simSlowdown' | 'signatures'> = {},
): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'modelship-sample-'));
  try {
    await writeFixtureSavedModel(dir, { version: 1, variablesBytes: 4096, ...options });
    return await releaseTarball(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
