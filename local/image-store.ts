import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ModelshipError } from '../shared/errors.js';

/**
 * The local stand-in for a container registry holding baked TF Serving images. An image is a directory
 * `<root>/<sha256 hex>/` with `models/<MODEL_NAME>/<version>/…` (what the bake step copies into the image) and
 * `image.json` (`{"env": {"MODEL_NAME": …}, "tags": […]}`). `REGISTRY/REPO@sha256:<hex>` names it by digest, as
 * images are deployed. The Cloud Build emulator puts models in; the Kubernetes emulator's pods read them.
 */

export interface StoredImage {
  digest: string;
  dir: string;
  /** The image's MODEL_BASE_PATH, on this machine. */
  modelsDir: string;
  env: Record<string, string>;
  tags: string[];
}

const DIGEST_REF = /^([^\s@]+)@sha256:([a-f0-9]{64})$/;

/** The hex digest of `REGISTRY/REPO@sha256:<hex>`. */
export function imageDigest(ref: string): string {
  const match = DIGEST_REF.exec(ref);
  if (!match?.[2]) {
    throw new ModelshipError(`image '${ref}' is not an image by digest`, {
      hint: 'expected REGISTRY/REPO@sha256:<64 hex digits>',
    });
  }
  return match[2];
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** A digest of the image's content: same model and env, same digest, as a reproducible build would give. */
async function contentDigest(modelDir: string, modelName: string, env: Record<string, string>): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify(env));
  for (const file of await listFiles(modelDir)) {
    const data = await readFile(join(modelDir, file));
    hash.update(`models/${modelName}/${file}\0${data.length}\0`).update(createHash('sha256').update(data).digest());
  }
  return hash.digest('hex');
}

export async function resolveImage(root: string, ref: string): Promise<StoredImage> {
  const digest = imageDigest(ref);
  const dir = join(root, digest);
  let config: { env?: Record<string, string>; tags?: string[] };
  try {
    config = JSON.parse(await readFile(join(dir, 'image.json'), 'utf8')) as typeof config;
  } catch (err) {
    throw new ModelshipError(`image ${ref} is not in the local image store ${root}`, {
      cause: err,
      hint: 'images get there when the local Cloud Build bakes a release',
    });
  }
  return { digest, dir, modelsDir: join(dir, 'models'), env: config.env ?? {}, tags: config.tags ?? [] };
}

export interface PutModelInput {
  modelName: string;
  /** A directory holding the model's numeric version directories (`1/saved_model.pb`, …). */
  modelDir: string;
  /** Full image names with tag, e.g. `REGISTRY/REPO:v1`; merged into an existing image's tags. */
  tags?: string[];
}

/** Bakes a model into the store; returns the image. Putting the same model again returns the same digest. */
export async function putModel(root: string, input: PutModelInput): Promise<StoredImage> {
  const info = await stat(input.modelDir).catch(() => undefined);
  if (!info?.isDirectory()) throw new ModelshipError(`model directory ${input.modelDir} does not exist`);
  const env = { MODEL_NAME: input.modelName, MODEL_BASE_PATH: '/models' };
  const digest = await contentDigest(input.modelDir, input.modelName, env);
  const dir = join(root, digest);
  const existing = await resolveImage(root, `local@sha256:${digest}`).catch(() => undefined);
  const tags = [...new Set([...(existing?.tags ?? []), ...(input.tags ?? [])])];
  if (!existing) {
    // Build beside the final place and rename, so that a reader never sees half an image.
    const staging = `${dir}.partial-${process.pid}-${Date.now()}`;
    await mkdir(join(staging, 'models'), { recursive: true });
    await cp(input.modelDir, join(staging, 'models', input.modelName), { recursive: true });
    await writeFile(join(staging, 'image.json'), JSON.stringify({ env, tags }, null, 2));
    await rename(staging, dir).catch(async (err: NodeJS.ErrnoException) => {
      await rm(staging, { recursive: true, force: true });
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  } else {
    await writeFile(join(dir, 'image.json'), JSON.stringify({ env, tags }, null, 2));
  }
  return { digest, dir, modelsDir: join(dir, 'models'), env, tags };
}
