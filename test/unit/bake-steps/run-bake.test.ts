import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../shared/command-line.js';
import { runBake, type BakeContext } from '../../../bake-steps/run-bake.js';
import { startReleaseServer, type ReleaseServer } from '../../../local/release-server.js';
import { resolveSimOptions, startTfServingSim } from '../../../local/tfserving-sim/index.js';
import { BakeError } from '../../../bake-steps/bake-error.js';
import { readTar } from '../../../bake-steps/tar-reader.js';
import { SAVED_MODEL_FILES, goodRelease } from '../../support/releases.js';

let server: ReleaseServer;
let work: string;
let assetUrl: string;

beforeAll(async () => {
  server = await startReleaseServer();
  work = await mkdtemp(join(tmpdir(), 'modelship-bake-cli-'));
  const release = server.addRelease({
    repository: 'o/private-model',
    tag: 'v1',
    assets: [{ name: 'saved_model.tar.gz', content: await goodRelease({ version: 4 }) }],
    token: 'secret-token',
  });
  assetUrl = release.assets[0]!.url;
});
afterAll(async () => {
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

/** A workspace, as a Cloud Build step sees /workspace, and what the steps print. */
function workspace(name: string, env: Record<string, string> = {}): BakeContext & { lines: string[] } {
  const lines: string[] = [];
  return { cwd: join(work, name), env, print: (line) => lines.push(line), lines };
}

/** The fetch step's flags naming the asset, as cloudbuild/bake-model.yaml passes them. */
const asset = () => ['--url', assetUrl, '--repository', 'o/private-model', '--api-url', server.apiUrl];

async function bakeSteps(ctx: BakeContext) {
  await runBake(['fetch', ...asset(), '--out', 'release.tar.gz', '--max-bytes', '100000'], ctx);
  await runBake(['extract', '--archive', 'release.tar.gz', '--dest', 'release'], ctx);
  await runBake(['layout', '--source', 'release', '--dest', 'image-root', '--layer', 'model-layer.tar'], ctx);
}

describe('modelship bake', () => {
  it('fetches a private release with GITHUB_TOKEN, extracts it, lays it out and writes the image layer', async () => {
    const ctx = workspace('ws1', { GITHUB_TOKEN: 'secret-token' });
    await bakeSteps(ctx);
    expect(ctx.lines[0]).toMatch(
      /^downloaded \d+ bytes from http:\/\/127\.0\.0\.1:\d+\/assets\/\d+ in .* s, sha256 [0-9a-f]{64}$/,
    );
    expect(ctx.lines[1]).toMatch(/^extracted 5 entries \(3 files, 2 directories, 0 links, \d+ bytes\) into release\//);
    expect(ctx.lines[2]).toMatch(/^SavedModel found at 4 of the release → models\/resnet\/4: 3 files/);
    expect(ctx.lines).toContain(
      '  signature serving_default: image_input DT_FLOAT [-1,224,224,3] → resnet50 DT_FLOAT [-1,1000]',
    );
    const names: string[] = [];
    for await (const entry of readTar(createReadStream(join(ctx.cwd, 'model-layer.tar')), 'layer')) {
      names.push(`${entry.name} ${entry.type} ${entry.mode.toString(8)}`);
    }
    expect(names).toEqual([
      'models/ directory 755',
      'models/resnet/ directory 755',
      'models/resnet/4/ directory 755',
      'models/resnet/4/saved_model.pb file 644',
      'models/resnet/4/variables/ directory 755',
      ...SAVED_MODEL_FILES.slice(1).map((f) => `models/resnet/4/${f} file 644`),
    ]);
  });

  it('writes the same layer bytes for the same release (a reproducible layer digest)', async () => {
    const [a, b] = [
      workspace('ws2', { GITHUB_TOKEN: 'secret-token' }),
      workspace('ws3', { GITHUB_TOKEN: 'secret-token' }),
    ];
    await bakeSteps(a);
    await bakeSteps(b);
    const [la, lb] = await Promise.all([a, b].map((w) => readFile(join(w.cwd, 'model-layer.tar'))));
    expect(la!.equals(lb!)).toBe(true);
  });

  it('without the token, the private release is not found, and the hint says what to set', async () => {
    const err = await runBake(['fetch', ...asset(), '--out', 'x'], workspace('ws4')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BakeError);
    expect((err as BakeError).message).toMatch(/404 Not Found.*GITHUB_TOKEN_SECRET/);
  });

  it('smoke-checks a server holding the baked model: AVAILABLE, then one Predict from its signature', async () => {
    const ctx = workspace('ws5', { GITHUB_TOKEN: 'secret-token' });
    await bakeSteps(ctx);
    const options = await resolveSimOptions({
      model_name: 'resnet',
      model_base_path: join(ctx.cwd, 'image-root/models/resnet'),
      load_time_ms: '10',
    });
    const sim = await startTfServingSim({ ...options, port: 0, restApiPort: 0 });
    try {
      await runBake(['smoke', '--target', `127.0.0.1:${sim.grpcPort}`, '--model', 'resnet', '--timeout-s', '30'], ctx);
    } finally {
      await sim.stop();
    }
    expect(ctx.lines.at(-2)).toBe(`model resnet version 4 is AVAILABLE at 127.0.0.1:${sim.grpcPort}`);
    expect(ctx.lines.at(-1)).toMatch(/^Predict on serving_default answered in \d+ ms: resnet50 \[1,1000\]$/);
    await runBake(['smoke', '--enabled', 'false'], ctx);
    expect(ctx.lines.at(-1)).toBe('smoke check off (--enabled false)');
  });

  it('refuses a bad command line as a usage error', async () => {
    const ctx = workspace('ws6');
    await expect(runBake([], ctx)).rejects.toThrow(UsageError);
    await expect(runBake(['bake-it'], ctx)).rejects.toThrow(/unknown action 'bake-it'/);
    await expect(runBake(['extract', '--archive', 'a'], ctx)).rejects.toThrow(/--dest required/);
    await expect(runBake(['fetch', '--url', assetUrl, '--out', 'o'], ctx)).rejects.toThrow(/--repository required/);
    await expect(runBake(['fetch', ...asset(), '--out', 'o', '--max-bytes', '0'], ctx)).rejects.toThrow(
      /positive whole number/,
    );
    const github = await runBake(
      ['fetch', '--url', assetUrl, '--repository', 'o/private-model', '--out', 'o'],
      ctx,
    ).catch((e: unknown) => e);
    expect((github as BakeError).message).toMatch(
      /is not https:\/\/api\.github\.com\/repos\/o\/private-model\/releases\/assets\/ID/,
    );
  });
});
