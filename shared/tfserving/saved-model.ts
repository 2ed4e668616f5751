import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelshipError } from '../errors.js';
import type { SignatureSpec } from './messages.js';
import { protoType } from './proto-root.js';
import { TO_OBJECT_OPTIONS, signaturesFromWire } from './wire-objects.js';

/**
 * Why a model directory cannot be served. `kind` lets the simulator act as TF Serving does: it keeps polling a base
 * path without version directories, and fails on the rest.
 */
export class SavedModelError extends ModelshipError {
  override readonly name = 'SavedModelError';
  constructor(
    readonly kind: 'no-base-path' | 'no-version' | 'invalid',
    message: string,
    options: { cause?: unknown; hint?: string } = {},
  ) {
    super(message, options);
  }
}

export interface SavedModelInfo {
  tags: string[];
  tensorflowVersion: string;
  signatures: Record<string, SignatureSpec>;
}

export interface ModelVersionDir {
  version: number;
  path: string;
  signatures: Record<string, SignatureSpec>;
}

export const SERVE_TAG = 'serve';

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** The serving signatures of the SavedModel in `versionDir` (the meta graph tagged "serve", as TF Serving loads). */
export async function readSavedModel(versionDir: string): Promise<SavedModelInfo> {
  const file = join(versionDir, 'saved_model.pb');
  const bytes = await readFile(file).catch((err: unknown) => {
    throw new SavedModelError(
      'invalid',
      `SavedModel file does not exist at: ${versionDir}/{saved_model.pbtxt|saved_model.pb}`,
      {
        cause: err,
        hint: 'a release must hold VERSION/saved_model.pb, as tf.saved_model.save writes it',
      },
    );
  });
  const type = protoType('tensorflow.SavedModel');
  let wire: Record<string, unknown>;
  try {
    wire = type.toObject(type.decode(bytes), TO_OBJECT_OPTIONS);
  } catch (err) {
    throw new SavedModelError(
      'invalid',
      `${file} (${bytes.length} bytes) is not a SavedModel protobuf: ${String(err)}`,
      {
        cause: err,
      },
    );
  }
  const metaGraphs = (wire['metaGraphs'] as Record<string, unknown>[] | undefined) ?? [];
  const tagsOf = (g: Record<string, unknown>) => (g['metaInfoDef'] as { tags?: string[] } | undefined)?.tags ?? [];
  const graph = metaGraphs.find((g) => tagsOf(g).includes(SERVE_TAG));
  if (!graph) {
    const found = metaGraphs.map((g) => `{ ${tagsOf(g).join(', ')} }`).join(' ') || 'none';
    throw new SavedModelError(
      'invalid',
      `Could not find meta graph def matching supplied tags: { ${SERVE_TAG} } in ${file}; tag-sets found: ${found}`,
      { hint: 'export the model with the "serve" tag (tf.saved_model.save and Keras do by default)' },
    );
  }
  const info = graph['metaInfoDef'] as { tensorflowVersion?: string } | undefined;
  return {
    tags: tagsOf(graph),
    tensorflowVersion: info?.tensorflowVersion ?? '',
    signatures: signaturesFromWire(graph['signatureDef'] as Record<string, unknown> | undefined),
  };
}

/** The numeric version directories under a model base path, in ascending order. */
export async function listModelVersions(basePath: string): Promise<number[]> {
  const entries = await readdir(basePath, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && /^\d+$/.test(e.name))
    .map((e) => Number(e.name))
    .sort((a, b) => a - b);
}

/**
 * Checks a model base path the way TF Serving loads it (`--model_base_path`, e.g. /models/resnet): a numeric version
 * directory, of which the highest is served, holding saved_model.pb and variables/. Returns that version.
 */
export async function validateModelDir(basePath: string, modelName = 'model'): Promise<ModelVersionDir> {
  if (!(await isDirectory(basePath))) {
    throw new SavedModelError('no-base-path', `Could not find base path ${basePath} for servable ${modelName}`, {
      hint: 'pass the directory that holds the version directories, e.g. /models/resnet',
    });
  }
  const versions = await listModelVersions(basePath);
  const version = versions[versions.length - 1];
  if (version === undefined) {
    const flat = await stat(join(basePath, 'saved_model.pb')).then(
      () => true,
      () => false,
    );
    throw new SavedModelError(
      'no-version',
      `No versions of servable ${modelName} found under base path ${basePath}. ` +
        `Did you forget to name your leaf directory as a number (eg. '/1/')?`,
      flat ? { hint: `saved_model.pb sits directly in ${basePath}; move it into ${join(basePath, '1')}/` } : {},
    );
  }
  const path = join(basePath, String(version));
  const { signatures } = await readSavedModel(path);
  if (!(await isDirectory(join(path, 'variables')))) {
    throw new SavedModelError('invalid', `SavedModel at ${path} has no variables/ directory`, {
      hint: 'tf.saved_model.save writes variables/variables.index and variables/variables.data-*; ship them with saved_model.pb',
    });
  }
  return { version, path, signatures };
}
