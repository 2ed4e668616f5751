import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type Registry } from '../../../local/containers/registry.js';
import { writeTarFile } from '../../../bake-steps/tar-writer.js';
import { distPath } from '../../../shared/paths.js';

/**
 * The gcrane stand-in (local/images/gcrane), run as the bake's push step runs it, against a real registry
 * (the distribution registry). The base image is pushed by hand through the registry API, without podman, so each
 * blob's digest is known; the registry's own log shows which requests the stand-in made and how many bytes moved.
 */

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const BASE_ENV = ['PATH=/usr/local/sbin:/usr/bin:/bin', 'MODEL_NAME=model', 'MODEL_BASE_PATH=/models'];

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

interface Manifest {
  mediaType?: string;
  config: { mediaType: string; digest: string; size: number };
  layers: Array<{ mediaType: string; digest: string; size: number }>;
}
interface Config {
  config: { Env: string[]; Entrypoint: string[] };
  rootfs: { diff_ids: string[] };
  history: Array<Record<string, unknown>>;
  created: string;
}
/** One line of the registry's log: a request it answered. */
interface Request {
  method: string;
  uri: string;
  status: number;
  written: number;
  agent: string;
}

let dir: string;
let registry: Registry;
/** The base image's layers, pushed gzipped, and their uncompressed digests. */
const baseLayers: Array<{ digest: string; diffId: string; size: number }> = [];

const api = (path: string) => `http://${registry.host}/v2/${path}`;

async function pushBlob(repository: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const session = await fetch(api(`${repository}/blobs/uploads/`), { method: 'POST' });
  expect(session.status).toBe(202);
  const location = new URL(session.headers.get('location')!, api(''));
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: bytes });
  expect(put.status).toBe(201);
  return digest;
}

async function pushManifest(repository: string, reference: string, body: object, mediaType: string) {
  const bytes = Buffer.from(JSON.stringify(body));
  const res = await fetch(api(`${repository}/manifests/${reference}`), {
    method: 'PUT',
    headers: { 'content-type': mediaType },
    body: bytes,
  });
  expect(res.status, await res.text()).toBe(201);
  return { digest: sha256(bytes), size: bytes.length, mediaType };
}

async function getBlob(repository: string, digest: string): Promise<Buffer> {
  const res = await fetch(api(`${repository}/blobs/${digest}`));
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

async function getImage(reference: string): Promise<{ manifest: Manifest; config: Config }> {
  const [repository, digest] = reference.replace(`${registry.host}/`, '').split('@') as [string, string];
  const res = await fetch(api(`${repository}/manifests/${digest}`), {
    headers: { accept: [DOCKER_MANIFEST, OCI_MANIFEST].join(', ') },
  });
  expect(res.status).toBe(200);
  const manifest = (await res.json()) as Manifest;
  return { manifest, config: JSON.parse((await getBlob(repository, manifest.config.digest)).toString()) as Config };
}

async function tar(name: string, files: Record<string, string>, gzip = false): Promise<string> {
  const path = join(dir, name);
  const entries = Object.entries(files).map(([file, text]) => ({
    name: file,
    type: 'file' as const,
    content: Buffer.from(text),
  }));
  await writeTarFile(entries, path, { gzip });
  return path;
}

/** The base: two layers and a config with an environment, as a Docker image, an OCI image and an OCI index. */
async function pushBase(): Promise<void> {
  for (const [i, text] of ['first base layer', 'second base layer'].entries()) {
    const gz = await readFile(await tar(`base-${i}.tar.gz`, { [`base/${i}.txt`]: text }, true));
    baseLayers.push({ digest: await pushBlob('base/tfs', gz), diffId: sha256(gunzipSync(gz)), size: gz.length });
  }
  const config = (architecture: string) =>
    Buffer.from(
      JSON.stringify({
        architecture,
        os: 'linux',
        created: '2024-05-01T00:00:00Z',
        config: { Env: BASE_ENV, Entrypoint: ['/usr/bin/tf_serving_entrypoint.sh'] },
        rootfs: { type: 'layers', diff_ids: baseLayers.map((l) => l.diffId) },
        history: [{ created_by: 'base layer 0' }, { created_by: 'base layer 1' }],
      }),
    );
  const manifest = async (mediaType: string, layerType: string, architecture: string) => {
    const bytes = config(architecture);
    const configType =
      mediaType === DOCKER_MANIFEST
        ? 'application/vnd.docker.container.image.v1+json'
        : 'application/vnd.oci.image.config.v1+json';
    return {
      schemaVersion: 2,
      mediaType,
      config: { mediaType: configType, digest: await pushBlob('base/tfs', bytes), size: bytes.length },
      layers: baseLayers.map((l) => ({ mediaType: layerType, digest: l.digest, size: l.size })),
    };
  };
  await pushManifest('base/tfs', 'docker', await manifest(DOCKER_MANIFEST, DOCKER_LAYER, 'amd64'), DOCKER_MANIFEST);
  const amd64 = await pushManifest('base/tfs', 'oci', await manifest(OCI_MANIFEST, OCI_LAYER, 'amd64'), OCI_MANIFEST);
  const arm64 = await pushManifest('base/tfs', 'arm64', await manifest(OCI_MANIFEST, OCI_LAYER, 'arm64'), OCI_MANIFEST);
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      { ...arm64, platform: { os: 'linux', architecture: 'arm64' } },
      { ...amd64, platform: { os: 'linux', architecture: 'amd64' } },
    ],
  };
  await pushManifest('base/tfs', 'multi', index, OCI_INDEX);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** What the registry answered while it ran. */
  requests: Request[];
}

/** Runs the compiled stand-in as the push step does, and collects the registry's log lines of the run. */
async function gcrane(...args: string[]): Promise<Run> {
  const from = (await stat(registry.logFile)).size;
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve) => {
      const child = execFile(process.execPath, [distPath('local/images/gcrane/gcrane.js'), ...args], (_, o, e) =>
        resolve({ code: child.exitCode, stdout: o, stderr: e }),
      );
    },
  );
  const log = (await readFile(registry.logFile)).subarray(from).toString();
  const requests = log
    .split('\n')
    .filter((line) => line.includes('"http.request.method"') && line.includes('response completed'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .map((e) => ({
      method: String(e['http.request.method']),
      uri: String(e['http.request.uri']),
      status: Number(e['http.response.status']),
      written: Number(e['http.response.written'] ?? 0),
      agent: String(e['http.request.useragent']),
    }));
  return { code, stdout, stderr, requests };
}

/** The bake's push step: `gcrane mutate BASE --append LAYER --env K=V --tag TARGET`, BASE and TARGET on `host`. */
const mutate = (base: string, layer: string, tag: string, env = 'MODEL_NAME=resnet', host = registry.host) =>
  gcrane('mutate', `${host}/${base}`, '--append', layer, '--env', env, '--tag', `${host}/${tag}`);

const layerFile = (name: string, model: string) =>
  tar(name, { 'models/resnet/1/saved_model.pb': model, 'models/resnet/1/variables/variables.index': name });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gcrane-test-'));
  registry = await startRegistry({ dir: join(dir, 'registry') });
  await pushBase();
});

afterAll(async () => {
  await registry?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Every base layer was linked into the target without its bytes moving: no GET of it, no upload of it. */
function expectNoBaseLayerBytes(run: Run): void {
  for (const layer of baseLayers) {
    const touching = run.requests.filter((r) => r.uri.includes(layer.digest));
    expect(touching.filter((r) => r.method === 'GET' || r.method === 'PUT' || r.method === 'PATCH')).toEqual([]);
  }
  expect(run.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
}

/** The digests the run uploaded (monolithic PUTs of upload sessions). */
const uploaded = (run: Run) =>
  run.requests
    .filter((r) => r.method === 'PUT' && r.uri.includes('/blobs/uploads/'))
    .map((r) => new URL(r.uri, 'http://registry').searchParams.get('digest'));

describe('gcrane stand-in: mutate --append --env --tag', () => {
  let first: { ref: string; layer: string };

  it('pushes the base plus one gzipped layer with MODEL_NAME set, mounting the base layers, and prints REPO@digest', async () => {
    const layer = await layerFile('model-layer.tar', 'the model');
    const target = `${registry.host}/baked/resnet`;
    const run = await mutate('base/tfs:docker', layer, 'baked/resnet:v1');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^${target}@sha256:[a-f0-9]{64}\\n$`));
    const ref = run.stdout.trim();
    first = { ref, layer };

    const { manifest, config } = await getImage(ref);
    expect(manifest.mediaType).toBe(DOCKER_MANIFEST);
    expect(manifest.layers.slice(0, 2).map((l) => l.digest)).toEqual(baseLayers.map((l) => l.digest));
    expect(manifest.layers).toHaveLength(3);
    const added = manifest.layers[2]!;
    expect(added.mediaType).toBe(DOCKER_LAYER);
    const blob = await getBlob('baked/resnet', added.digest);
    expect(sha256(blob)).toBe(added.digest);
    expect(blob.length).toBe(added.size);
    const tarBytes = await readFile(layer);
    expect(gunzipSync(blob).equals(tarBytes)).toBe(true);
    // MODEL_NAME replaced where the base had it; the rest of the base's config kept.
    expect(config.config.Env).toEqual([BASE_ENV[0], 'MODEL_NAME=resnet', BASE_ENV[2]]);
    expect(config.config.Entrypoint).toEqual(['/usr/bin/tf_serving_entrypoint.sh']);
    expect(config.created).toBe('2024-05-01T00:00:00Z');
    expect(config.rootfs.diff_ids).toEqual([...baseLayers.map((l) => l.diffId), sha256(tarBytes)]);
    expect(config.history).toHaveLength(3);
    expect(config.history[2]).toEqual({
      created: '1970-01-01T00:00:00Z',
      created_by: 'gcrane mutate --append model-layer.tar',
    });

    // A new repository: each base layer was mounted from base/tfs (201), never read or uploaded.
    expectNoBaseLayerBytes(run);
    for (const layer of baseLayers) {
      const mount = run.requests.find(
        (r) => r.method === 'POST' && r.uri.includes(`mount=${encodeURIComponent(layer.digest)}`),
      );
      expect(mount?.status, `mount of ${layer.digest}`).toBe(201);
      expect(mount?.uri).toContain('from=base%2Ftfs');
    }
    expect(uploaded(run).sort()).toEqual([added.digest, manifest.config.digest].sort());
    // The stand-in names itself, so that a bake's requests can be picked out of a shared registry's log.
    expect(new Set(run.requests.map((r) => r.agent))).toEqual(new Set(['modelship-gcrane-standin']));
    // The manifest PUT is the run's last request: the log above is complete.
    expect(run.requests.at(-1)).toMatchObject({ method: 'PUT', uri: '/v2/baked/resnet/manifests/v1', status: 201 });

    const digest = await gcrane('digest', `${target}:v1`);
    expect(digest.stdout).toBe(`${ref.split('@')[1]}\n`);
  });

  it('a second bake on the same base moves no byte of the base layers', async () => {
    const layer = await layerFile('model-layer-2.tar', 'another model');
    const run = await mutate('base/tfs:docker', layer, 'baked/resnet:v2');
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).not.toBe(first.ref);
    expectNoBaseLayerBytes(run);
    // Already in the target repository: found by HEAD, neither mounted nor uploaded.
    for (const layer of baseLayers) {
      const touching = run.requests.filter((r) => r.uri.includes(layer.digest));
      expect(touching.map((r) => `${r.method} ${r.status}`)).toEqual(['HEAD 200']);
    }
    const moved = run.requests.filter((r) => r.method === 'GET').reduce((sum, r) => sum + r.written, 0);
    const { manifest } = await getImage(run.stdout.trim());
    // Only the base's manifest and config were read.
    expect(run.requests.filter((r) => r.method === 'GET').map((r) => r.uri)).toEqual([
      '/v2/base/tfs/manifests/docker',
      expect.stringMatching(/^\/v2\/base\/tfs\/blobs\/sha256:/),
    ]);
    expect(moved).toBeLessThan(4096);
    expect(uploaded(run).sort()).toEqual([manifest.layers[2]!.digest, manifest.config.digest].sort());
  });

  it('is reproducible: the same layer on the same base gives the same digest, and nothing new is uploaded', async () => {
    const run = await mutate('base/tfs:docker', first.layer, 'baked/resnet:v1-again');
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(first.ref);
    expect(uploaded(run)).toEqual([]);
  });

  it('pushes an already gzipped layer as it is', async () => {
    const layer = await tar('model-layer.tar.gz', { 'models/resnet/1/saved_model.pb': 'gzipped model' }, true);
    const run = await mutate('base/tfs:docker', layer, 'baked/gz:v1', 'EXTRA=1');
    expect(run.code).toBe(0);
    const { manifest, config } = await getImage(run.stdout.trim());
    const gz = await readFile(layer);
    expect(manifest.layers[2]).toEqual({ mediaType: DOCKER_LAYER, digest: sha256(gz), size: gz.length });
    expect(config.rootfs.diff_ids[2]).toBe(sha256(gunzipSync(gz)));
    expect(config.config.Env).toEqual([...BASE_ENV, 'EXTRA=1']);
  });

  it('takes the linux/amd64 image of an OCI index and keeps the OCI media types', async () => {
    const layer = await layerFile('model-layer-oci.tar', 'oci model');
    // localhost, as the bake may name the registry: the same plain-http registry on this machine.
    const host = registry.host.replace('127.0.0.1', 'localhost');
    const run = await mutate('base/tfs:multi', layer, 'baked/oci:v1', 'MODEL_NAME=resnet', host);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^localhost:\d+\/baked\/oci@sha256:[a-f0-9]{64}\n$/);
    const { manifest, config } = await getImage(run.stdout.trim().replace(/^localhost:/, '127.0.0.1:'));
    expect(manifest.mediaType).toBe(OCI_MANIFEST);
    expect(manifest.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
    expect(manifest.layers.map((l) => l.mediaType)).toEqual([OCI_LAYER, OCI_LAYER, OCI_LAYER]);
    expect((config as Config & { architecture: string }).architecture).toBe('amd64');
  });
});

describe('gcrane stand-in: errors', () => {
  it('a base that is not in the registry: exit 1, the reference and the registry error as crane words them', async () => {
    const layer = await layerFile('unused.tar', 'x');
    const run = await mutate('base/tfs:nope', layer, 'baked/x:v1');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      `Error: pulling ${registry.host}/base/tfs:nope: GET http://${registry.host}/v2/base/tfs/manifests/nope: MANIFEST_UNKNOWN: manifest unknown`,
    );
  });

  it('a layer file that does not exist: exit 1, naming the file', async () => {
    const run = await mutate('base/tfs:docker', join(dir, 'absent.tar'), 'baked/x:v1');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Error: appending \[.*absent\.tar\]: ENOENT: no such file or directory/);
  });

  it('refuses a registry that is not on this machine, saying it is a local stand-in', async () => {
    const layer = await layerFile('unused-2.tar', 'x');
    // The short flags, as crane has them.
    const run = await gcrane(
      'mutate',
      'gcr.io/gcp-ml-172005/tfs-resnet-cpu-opt',
      '--append',
      layer,
      '-e',
      'A=1',
      '-t',
      `${registry.host}/baked/x:v1`,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('registry gcr.io is not on this machine');
    expect(run.stderr).toContain('local stand-in');
    expect(run.requests).toEqual([]);
  });

  it('unknown commands and flags: exit 1 with a message', async () => {
    const command = await gcrane('copy', 'a', 'b');
    expect(command.code).toBe(1);
    expect(command.stderr).toContain('unknown command "copy"');
    const flag = await gcrane('mutate', `${registry.host}/base/tfs:docker`, '--platform', 'linux/arm64');
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain("Unknown option '--platform'");
    const version = await gcrane('version');
    expect(version.code).toBe(0);
    expect(version.stdout).toContain('modelship-standin');
  });
});
