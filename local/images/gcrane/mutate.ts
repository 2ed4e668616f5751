import { basename } from 'node:path';
import { errorMessage } from '../../../shared/errors.js';
import { sha256Digest } from './digest.js';
import { prepareLayer, type PreparedLayer } from './layer.js';
import {
  GZIP_LAYER_TYPE,
  imageConfig,
  imageIndex,
  imageManifest,
  isImageManifestType,
  isIndexType,
  type ImageConfig,
  type ImageManifest,
  type ImageManifestType,
} from './manifest.js';
import type { ImageReference } from './reference.js';
import { RegistryClient } from './registry-client.js';

/**
 * `crane mutate BASE --append LAYER --env K=V --tag TARGET`: the base image plus new layers, with the environment
 * set, pushed under TARGET. Only the base's manifest and config are read; its layers are mounted into the target
 * repository (or found there already), so they are neither downloaded nor uploaded.
 *
 * Reproducible, as crane's own output is: the config keeps the base's `created`, and each added history entry is
 * dated at the epoch (crane adds an undated one), so the same base, layers and environment give the same digest.
 */

export interface MutateRequest {
  base: ImageReference;
  target: ImageReference;
  layers: readonly string[];
  /** KEY=VALUE; a KEY the base sets is replaced where it stands, a new one goes at the end. */
  env: readonly string[];
}

const EPOCH = '1970-01-01T00:00:00Z';

interface BaseImage {
  manifest: ImageManifest;
  mediaType: ImageManifestType;
  config: ImageConfig;
}

/** Pushes the mutated image; returns its manifest digest. */
export async function mutate(request: MutateRequest): Promise<string> {
  const { base, target } = request;
  if (base.registry !== target.registry)
    throw new Error(
      `${base.text} and ${target.text} are in different registries; the stand-in mounts the base's layers and never copies them`,
    );
  const client = new RegistryClient(target.registry);
  const image = await pull(client, base).catch((err: unknown) => {
    throw new Error(`pulling ${base.text}: ${errorMessage(err)}`, { cause: err });
  });
  const layers: PreparedLayer[] = [];
  try {
    for (const file of request.layers)
      layers.push(
        await prepareLayer(file).catch((err: unknown) => {
          throw new Error(`appending [${request.layers.join(' ')}]: ${errorMessage(err)}`, { cause: err });
        }),
      );
    const config = Buffer.from(JSON.stringify(mutatedConfig(image.config, layers, request)));
    const manifest = mutatedManifest(image, layers, { digest: sha256Digest(config), size: config.length });
    const bytes = Buffer.from(JSON.stringify(manifest));
    const pushing = async () => {
      await Promise.all([
        ...image.manifest.layers.map((l) =>
          ensureBlob(client, target.repository, l.digest, () =>
            client.mountBlob(target.repository, l.digest, base.repository),
          ),
        ),
        ...layers.map((l) =>
          ensureBlob(client, target.repository, l.digest, () => client.uploadBlob(target.repository, l.digest, l)),
        ),
        ensureBlob(client, target.repository, manifest.config.digest, () =>
          client.uploadBlob(target.repository, manifest.config.digest, { bytes: config }),
        ),
      ]);
      return client.putManifest(target.repository, target.reference, image.mediaType, bytes);
    };
    return await pushing().catch((err: unknown) => {
      throw new Error(`pushing ${target.text}: ${errorMessage(err)}`, { cause: err });
    });
  } finally {
    await Promise.all(layers.map((l) => l.dispose()));
  }
}

/** The base's manifest (for an index, its linux/amd64 image, crane's default platform) and config. */
async function pull(client: RegistryClient, ref: ImageReference): Promise<BaseImage> {
  let fetched = await client.getManifest(ref.repository, ref.reference);
  if (isIndexType(fetched.mediaType)) {
    const index = imageIndex.parse(JSON.parse(fetched.bytes.toString('utf8')));
    const entry = index.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64');
    if (!entry) throw new Error(`no linux/amd64 image in the index ${fetched.digest}`);
    fetched = await client.getManifest(ref.repository, entry.digest);
  }
  const mediaType = fetched.mediaType;
  if (!isImageManifestType(mediaType)) throw new Error(`unsupported manifest media type ${JSON.stringify(mediaType)}`);
  const manifest = imageManifest.parse(JSON.parse(fetched.bytes.toString('utf8')));
  const raw = await client.getBlob(ref.repository, manifest.config.digest);
  return { manifest, mediaType, config: imageConfig.parse(JSON.parse(raw.toString('utf8'))) };
}

function mutatedConfig(base: ImageConfig, layers: readonly PreparedLayer[], request: MutateRequest): ImageConfig {
  const env = [...(base.config?.Env ?? [])];
  for (const pair of request.env) {
    const key = pair.slice(0, pair.indexOf('='));
    const at = env.findIndex((e) => e.slice(0, e.indexOf('=')) === key);
    if (at === -1) env.push(pair);
    else env[at] = pair;
  }
  return {
    ...base,
    config: { ...base.config, Env: env },
    rootfs: { ...base.rootfs, diff_ids: [...base.rootfs.diff_ids, ...layers.map((l) => l.diffId)] },
    history: [
      ...(base.history ?? []),
      ...request.layers.map((file) => ({ created: EPOCH, created_by: `gcrane mutate --append ${basename(file)}` })),
    ],
  };
}

function mutatedManifest(
  base: BaseImage,
  layers: readonly PreparedLayer[],
  config: { digest: string; size: number },
): ImageManifest {
  return {
    ...base.manifest,
    config: { ...base.manifest.config, ...config },
    layers: [
      ...base.manifest.layers,
      ...layers.map((l) => ({ mediaType: GZIP_LAYER_TYPE[base.mediaType], size: l.size, digest: l.digest })),
    ],
  };
}

/** crane's order: a blob already in the repository is left alone; only a missing one is mounted or uploaded. */
async function ensureBlob(
  client: RegistryClient,
  repository: string,
  digest: string,
  put: () => Promise<void>,
): Promise<void> {
  if (!(await client.blobExists(repository, digest))) await put();
}
