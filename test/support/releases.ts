import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ServedRelease } from '../../local/release-server.js';
import type { BakeFailure } from '../../bake-steps/bake-error.js';
import type { ModelReleased } from '../../shared/messages.js';
import { tarStream, type TarWriteEntry } from '../../bake-steps/tar-writer.js';
import { SIM_MODEL_FILE, simModelFileText, writeFixtureSavedModel } from '../../shared/tfserving/index.js';

/**
 * Release tarballs, good and bad, generated here (never checked in): the fixture SavedModel of shared/tfserving with
 * the seed's signature, packed as a release would pack it, or broken in one way a bake must refuse.
 */

export const SAVED_MODEL_FILES = [
  'saved_model.pb',
  'variables/variables.data-00000-of-00001',
  'variables/variables.index',
];

/** The fixture SavedModel's files, relative to its version directory. `randomVariables` makes them incompressible. */
export async function savedModelFiles(variablesBytes = 64, randomVariables = false): Promise<Map<string, Buffer>> {
  const dir = await mkdtemp(join(tmpdir(), 'modelship-release-'));
  try {
    const { versionPath } = await writeFixtureSavedModel(dir, { variablesBytes: randomVariables ? 1 : variablesBytes });
    const files = new Map<string, Buffer>();
    for (const name of SAVED_MODEL_FILES) files.set(name, await readFile(join(versionPath, name)));
    if (randomVariables) files.set('variables/variables.data-00000-of-00001', randomBytes(variablesBytes));
    return files;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Tar entries of a SavedModel under `prefix` ('' for the top, '1/' for the seed's layout), directories included. */
export function savedModelEntries(files: Map<string, Buffer>, prefix: string): TarWriteEntry[] {
  const inside = new Set([
    'variables/',
    ...[...files.keys()].filter((n) => n.includes('/')).map((n) => n.replace(/[^/]+$/, '')),
  ]);
  const dirs = [...(prefix ? [prefix] : []), ...[...inside].sort().map((d) => `${prefix}${d}`)];
  return [
    ...dirs.map((name): TarWriteEntry => ({ name, type: 'directory' })),
    ...[...files].map(([name, content]): TarWriteEntry => ({ name: `${prefix}${name}`, type: 'file', content })),
  ];
}

export async function tarBytes(entries: TarWriteEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of tarStream(entries)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export const tarGz = async (entries: TarWriteEntry[]): Promise<Buffer> => gzipSync(await tarBytes(entries));

/**
 * The seed's release: `1/saved_model.pb` and `1/variables/`, gzip-compressed; with `simSlowdown`, also the
 * simulator's `1/assets.extra/tfs-sim.json` (a model that many times slower in the simulator).
 */
export async function goodRelease({
  version = 1,
  variablesBytes = 64,
  simSlowdown,
}: { version?: number; variablesBytes?: number; simSlowdown?: number } = {}): Promise<Buffer> {
  const files = await savedModelFiles(variablesBytes);
  if (simSlowdown !== undefined) files.set(SIM_MODEL_FILE, Buffer.from(simModelFileText({ slowdown: simSlowdown })));
  return tarGz(savedModelEntries(files, `${version}/`));
}

export interface ReleaseCase {
  name: string;
  tarball: Buffer;
  /** The bake step that must fail, and how; absent when the release bakes. */
  fails?: { step: 'fetch' | 'extract' | 'layout'; failure: BakeFailure; says: RegExp };
}

/** Bytes of the asset that the size-cap case exceeds (its tarball is made incompressible and twice as large). */
export const SMALL_ASSET_CAP = 256 * 1024;

/** Every release of the list (and a few more), with the outcome a bake must have. */
export async function releaseCases(): Promise<ReleaseCase[]> {
  const files = await savedModelFiles();
  const model = (prefix: string) => savedModelEntries(files, prefix);
  const good = await tarGz(model('1/'));
  const withoutPb = new Map([...files].filter(([name]) => name !== 'saved_model.pb'));
  const evil = (entry: TarWriteEntry) => tarGz([...model('1/'), entry]);
  return [
    { name: 'the seed layout (1/saved_model.pb)', tarball: good },
    { name: 'no version directory (one is added)', tarball: await tarGz(model('')) },
    {
      name: 'no saved_model.pb',
      tarball: await tarGz(savedModelEntries(withoutPb, '1/')),
      fails: { step: 'layout', failure: 'no-saved-model', says: /holds no saved_model\.pb/ },
    },
    {
      name: 'a ../ entry',
      tarball: await evil({ name: '1/../../escaped.txt', type: 'file', content: Buffer.from('x') }),
      fails: { step: 'extract', failure: 'unsafe-path', says: /"1\/\.\.\/\.\.\/escaped\.txt" climbs out/ },
    },
    {
      name: 'an absolute path',
      tarball: await evil({ name: '/tmp/modelship-escaped.txt', type: 'file', content: Buffer.from('x') }),
      fails: { step: 'extract', failure: 'unsafe-path', says: /"\/tmp\/modelship-escaped\.txt" is an absolute path/ },
    },
    {
      name: 'a symbolic link pointing outside',
      tarball: await evil({ name: '1/variables/passwd', type: 'symlink', linkname: '../../../../etc/passwd' }),
      fails: {
        step: 'extract',
        failure: 'link-outside',
        says: /symbolic link "1\/variables\/passwd" points at .*outside/,
      },
    },
    {
      name: 'a truncated gzip',
      tarball: good.subarray(0, Math.floor(good.length / 2)),
      fails: { step: 'extract', failure: 'truncated', says: /truncated: the gzip stream ends early/ },
    },
    {
      name: 'an asset over the size cap',
      tarball: await tarGz(savedModelEntries(await savedModelFiles(2 * SMALL_ASSET_CAP, true), '1/')),
      fails: { step: 'fetch', failure: 'too-large', says: /over the cap of 262144 bytes/ },
    },
    {
      name: 'an asset that is not a tarball',
      tarball: Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), randomBytes(300)]),
      fails: { step: 'extract', failure: 'not-a-tarball', says: /not a tarball: it is a zip archive/ },
    },
    {
      name: 'a character device',
      tarball: await evil({ name: '1/null', type: 'character-device' }),
      fails: { step: 'extract', failure: 'special-file', says: /"1\/null" is a character-device/ },
    },
  ];
}

/** The ModelReleased the webhook would publish for a release served by the local release server. */
export function modelReleasedFor(release: ServedRelease, runId: string): ModelReleased {
  const asset = release.assets[0];
  if (!asset) throw new Error(`release ${release.tag} has no asset`);
  return {
    type: 'ModelReleased',
    version: 1,
    runId,
    repository: release.repository,
    release: { id: release.id, tag: release.tag, name: release.tag, htmlUrl: release.htmlUrl, prerelease: false },
    asset: {
      id: asset.id,
      name: asset.name,
      url: asset.url,
      browserDownloadUrl: asset.browserDownloadUrl,
      size: asset.size,
    },
    deliveryId: `delivery-${runId}`,
    receivedAt: new Date().toISOString(),
  };
}
