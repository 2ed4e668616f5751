import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { constants, createGunzip, createGzip } from 'node:zlib';
import { digestTap } from './digest.js';

/**
 * A layer tarball ready to push, as crane's tarball.LayerFromFile makes it: gzip-compressed (at crane's default,
 * the best speed) when the file is a plain tar, kept as it is when already gzipped. The digest names the compressed
 * blob; the diff_id, which the config lists, names the uncompressed tar.
 */

export interface PreparedLayer {
  /** The compressed blob on disk. */
  path: string;
  size: number;
  digest: string;
  diffId: string;
  /** Removes the compressed copy, if one was made. */
  dispose(): Promise<void>;
}

const GZIP_MAGIC = [0x1f, 0x8b];

export async function prepareLayer(file: string): Promise<PreparedLayer> {
  const head = Buffer.alloc(2);
  const handle = await open(file, 'r');
  try {
    await handle.read(head, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const compressed = digestTap();
  const uncompressed = digestTap();
  if (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) {
    await pipeline(createReadStream(file), compressed.tap, createGunzip(), uncompressed.tap, async (s) => {
      for await (const _ of s);
    });
    return { path: file, ...compressed.result(), diffId: uncompressed.result().digest, dispose: async () => undefined };
  }
  // Beside the system's temporary files, not the input: the input's directory may be read-only or small.
  const dir = await mkdtemp(join(tmpdir(), 'gcrane-layer-'));
  const path = join(dir, 'layer.tar.gz');
  try {
    await pipeline(
      createReadStream(file),
      uncompressed.tap,
      createGzip({ level: constants.Z_BEST_SPEED }),
      compressed.tap,
      createWriteStream(path),
    );
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    path,
    ...compressed.result(),
    diffId: uncompressed.result().digest,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
