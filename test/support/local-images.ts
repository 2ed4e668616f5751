import { get } from 'node:http';
import { beforeAll, inject } from 'vitest';
import type { LocalImages } from '../../local/containers/images.js';

/**
 * The images of the local stack, which global-setup.ts builds while the first tests run. A file that imports this
 * waits for them before its tests, however long a fresh machine's build takes, or fails with the build's error.
 */

/** A fresh machine pulls a Debian rootfs and every npm package, then compiles, all on two shared cores. */
const BUILD_WAIT_MS = 20 * 60_000;

let images: LocalImages | undefined;
beforeAll(async () => {
  images = await builtImages(inject('localImagesUrl'));
}, BUILD_WAIT_MS);

/** The images, once the file's tests run. */
export function localImages(): LocalImages {
  if (!images) throw new Error('the local images are read before the tests run');
  return images;
}

/** node:http rather than fetch: fetch gives up on an answer that takes more than 5 minutes to start. */
function builtImages(url: string): Promise<LocalImages> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolve(JSON.parse(body) as LocalImages);
        else reject(new Error(`the local images could not be built:\n${body}`));
      });
    }).on('error', reject);
  });
}
