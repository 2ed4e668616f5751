import { createHash } from 'node:crypto';

/** Content digests as registries name blobs and manifests: sha256:HEX of the exact bytes. */

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export interface DigestTap {
  /** A pass-through stage for stream.pipeline: what flows through is hashed and counted. */
  tap(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer>;
  /** Once the pipeline has finished. */
  result(): { digest: string; size: number };
}

/** Digests a stream on its way elsewhere, so that a layer of gigabytes is read once and never held in memory. */
export function digestTap(): DigestTap {
  const hash = createHash('sha256');
  let size = 0;
  return {
    async *tap(source) {
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    },
    result: () => ({ digest: `sha256:${hash.digest('hex')}`, size }),
  };
}
