import { copyFile, lstat, mkdir, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { SavedModelError, validateModelDir, type SignatureSpec } from '../shared/tfserving/index.js';
import { BakeError } from './bake-error.js';

/**
 * Finds the SavedModel in an extracted release and lays it out as TF Serving loads it: `models/NAME/VERSION/`.
 * A release may hold the version directory (the seed's `1/saved_model.pb`) or the SavedModel itself
 * (`saved_model.pb` at the top, or under any directory whose name is not a number): that one gets a version directory.
 * A directory named like a number that is not a version (`01`, `-1`, `1e3`) is refused rather than renamed.
 * The result is then checked the way TF Serving checks it (numeric version, saved_model.pb, variables/), plus at least
 * one signature a client can call.
 */

export interface LayoutOptions {
  modelName: string;
  /** The version directory given to a SavedModel that has none. */
  version: number;
}

export interface LaidOutModel {
  modelName: string;
  version: number;
  /** TF Serving's --model_base_path inside `dest`: dest/models/NAME. */
  basePath: string;
  /** Where the SavedModel was found in the release, relative to it ('' for the top). */
  foundAt: string;
  /** True when the release had no version directory and got one. */
  versionAdded: boolean;
  signatures: Record<string, SignatureSpec>;
  files: number;
  bytes: number;
}

const MAX_DEPTH = 8;
/**
 * A version directory: a positive base-10 integer without sign, leading zero or exponent, that a JS number holds.
 * TF Serving parses the name as an int64 (safe_strto64): `01` and ` 1` load as version 1, `-1` as version -1, and
 * `1e3` is no version at all; only the canonical form reads the same to TF Serving, the load test and a person.
 */
const VERSION = /^[1-9]\d*$/;
const VERSION_RULE =
  'a TF Serving version directory is a positive whole number in base 10, without sign, leading zeros, exponent, ' +
  `decimal point or spaces, at most ${Number.MAX_SAFE_INTEGER}`;
/** A name meant as a number: one TF Serving parses as one, or that starts like a number. */
const NUMBER_LIKE = /^\s*[-+]?\.?\d/;
/** Keras adds this signature to every export; it serves nothing. */
const INIT_SIGNATURE = '__saved_model_init_op';

/** Directories holding a saved_model.pb, searched without following links. */
async function findSavedModels(dir: string, depth = 0): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const here = entries.some((e) => e.name === 'saved_model.pb' && (e.isFile() || e.isSymbolicLink())) ? [dir] : [];
  if (depth >= MAX_DEPTH) return here;
  const below = await Promise.all(
    entries.filter((e) => e.isDirectory()).map((e) => findSavedModels(join(dir, e.name), depth + 1)),
  );
  return [...here, ...below.flat()];
}

/** Copies a tree, links replaced by the files they point at (extraction checked they stay inside the release). */
async function copyDereferenced(from: string, to: string, count: { files: number; bytes: number }): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const name of (await readdir(from)).sort()) {
    const source = join(from, name);
    const info = await lstat(source);
    if (info.isDirectory()) {
      await copyDereferenced(source, join(to, name), count);
      continue;
    }
    const real = info.isSymbolicLink() ? await realpath(source) : source;
    const target = info.isSymbolicLink() ? await stat(real) : info;
    if (!target.isFile()) {
      throw new BakeError(
        'invalid-model',
        `${name} in the SavedModel is a link to a directory, which is not supported`,
        {
          hint: 'archive the files themselves (tar -h follows links)',
        },
      );
    }
    await copyFile(real, join(to, name));
    count.files++;
    count.bytes += target.size;
  }
}

/**
 * The version a directory name gives, or false for a name that is not meant as one (the SavedModel then gets a
 * version directory); a name meant as a number that is not a version is refused, not renamed.
 */
function versionOf(foundAt: string, added: number): number | false {
  const name = basename(foundAt);
  if (VERSION.test(name) && Number.isSafeInteger(Number(name))) return Number(name);
  if (!NUMBER_LIKE.test(name)) return false;
  const meant = Number(name.trim());
  const renamed = join(dirname(foundAt), String(Number.isSafeInteger(meant) && meant > 0 ? meant : 1));
  throw new BakeError(
    'invalid-model',
    `the SavedModel is in ${foundAt}/, and ${JSON.stringify(name)} is not a version directory: ${VERSION_RULE}`,
    {
      hint: `rename ${foundAt}/ to ${renamed}/ in the release, or put the SavedModel under a directory whose name is not a number to get version ${added}`,
    },
  );
}

export async function layOutModel(source: string, dest: string, options: LayoutOptions): Promise<LaidOutModel> {
  const found = await findSavedModels(source);
  if (found.length === 0) {
    const top = (await readdir(source)).sort().slice(0, 10);
    throw new BakeError(
      'no-saved-model',
      `the release holds no saved_model.pb (its top level: ${top.length ? top.join(', ') : 'nothing'})`,
      { hint: 'export with tf.saved_model.save(model, "export/1") and archive export/1' },
    );
  }
  const places = found.map((dir) => relative(source, dir) || '.');
  if (found.length > 1) {
    throw new BakeError(
      'invalid-model',
      `the release holds ${found.length} SavedModels (${places.join(', ')}); expected one`,
      {
        hint: 'release one model per asset',
      },
    );
  }
  const dir = found[0] as string;
  const foundAt = relative(source, dir);
  const named = foundAt === '' ? false : versionOf(foundAt, options.version);
  const version = named === false ? options.version : named;
  const basePath = join(dest, 'models', options.modelName);
  const count = { files: 0, bytes: 0 };
  await copyDereferenced(dir, join(basePath, String(version)), count);

  let signatures: Record<string, SignatureSpec>;
  try {
    ({ signatures } = await validateModelDir(basePath, options.modelName));
  } catch (err) {
    if (!(err instanceof SavedModelError)) throw err;
    throw new BakeError('invalid-model', `the SavedModel at ${places[0]}/ is not servable: ${err.message}`, {
      cause: err,
    });
  }
  const callable = Object.values(signatures).filter(
    (s) => s.name !== INIT_SIGNATURE && Object.keys(s.inputs).length > 0 && Object.keys(s.outputs).length > 0,
  );
  if (callable.length === 0) {
    throw new BakeError(
      'invalid-model',
      `the SavedModel at ${places[0]}/ has no serving signature (found: ${Object.keys(signatures).join(', ') || 'none'})`,
      {
        hint: 'export it with a signature: tf.saved_model.save(model, path, signatures=...) or Keras model.export(path)',
      },
    );
  }
  return {
    modelName: options.modelName,
    version,
    basePath,
    foundAt,
    versionAdded: named === false,
    signatures,
    files: count.files,
    bytes: count.bytes,
  };
}
