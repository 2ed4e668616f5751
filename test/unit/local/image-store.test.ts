import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageDigest, putModel, resolveImage } from '../../../local/image-store.js';

const dir = mkdtempSync(join(tmpdir(), 'modelship-images-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function model(name: string, content: string): string {
  const root = join(dir, 'src', name);
  mkdirSync(join(root, '1', 'variables'), { recursive: true });
  writeFileSync(join(root, '1', 'saved_model.pb'), content);
  writeFileSync(join(root, '1', 'variables', 'variables.index'), 'idx');
  return root;
}

describe('the local image store', () => {
  const store = join(dir, 'store');

  it('bakes a model into an image named by the digest of its content', async () => {
    const image = await putModel(store, { modelName: 'resnet', modelDir: model('a', 'graph-a'), tags: ['r/tfs:v1'] });
    expect(image.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(image.modelsDir, 'resnet', '1', 'saved_model.pb'), 'utf8')).toBe('graph-a');
    const resolved = await resolveImage(store, `us-docker.pkg.dev/p/r/tfs@sha256:${image.digest}`);
    expect(resolved).toEqual({
      ...image,
      env: { MODEL_NAME: 'resnet', MODEL_BASE_PATH: '/models' },
      tags: ['r/tfs:v1'],
    });
    expect(JSON.parse(readFileSync(join(image.dir, 'image.json'), 'utf8'))).toEqual({
      env: resolved.env,
      tags: ['r/tfs:v1'],
    });
  });

  it('gives the same model the same digest (merging tags) and a different model another', async () => {
    const again = await putModel(store, { modelName: 'resnet', modelDir: model('a2', 'graph-a'), tags: ['r/tfs:v2'] });
    const first = await resolveImage(store, `x@sha256:${again.digest}`);
    expect(first.tags).toEqual(['r/tfs:v1', 'r/tfs:v2']);
    const other = await putModel(store, { modelName: 'resnet', modelDir: model('b', 'graph-b') });
    expect(other.digest).not.toBe(again.digest);
    expect(readdirSync(store).sort()).toEqual([again.digest, other.digest].sort());
  });

  it('names what is wrong with a reference or a missing image', async () => {
    expect(() => imageDigest('r/tfs:latest')).toThrow(
      "image 'r/tfs:latest' is not an image by digest (expected REGISTRY/REPO@sha256:<64 hex digits>)",
    );
    await expect(resolveImage(store, `r/tfs@sha256:${'0'.repeat(64)}`)).rejects.toThrow(
      `image r/tfs@sha256:${'0'.repeat(64)} is not in the local image store ${store}`,
    );
    await expect(putModel(store, { modelName: 'm', modelDir: join(dir, 'nowhere') })).rejects.toThrow(/does not exist/);
  });
});
