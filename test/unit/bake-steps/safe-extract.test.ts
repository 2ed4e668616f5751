import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BakeError } from '../../../bake-steps/bake-error.js';
import { extractArchive, type ExtractLimits } from '../../../bake-steps/safe-extract.js';
import type { TarWriteEntry } from '../../../bake-steps/tar-writer.js';
import { releaseCases, tarBytes, tarGz, type ReleaseCase } from '../../support/releases.js';

let work: string;
let n = 0;
const LIMITS: ExtractLimits = { maxFiles: 100, maxBytes: 10 * 1024 * 1024 };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'modelship-extract-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Extracts `bytes` into a fresh directory nested two levels down, so that an escape would land in `work`. */
async function extract(bytes: Buffer, limits = LIMITS) {
  const base = join(work, `case-${++n}`);
  const archive = join(base, 'release.tar.gz');
  const dest = join(base, 'ws', 'release');
  await mkdir(join(base, 'ws'), { recursive: true });
  await writeFile(archive, bytes);
  const result = await extractArchive(archive, dest, limits).then(
    (summary) => ({ summary, error: undefined }),
    (error: unknown) => ({ summary: undefined, error }),
  );
  return { ...result, base, dest };
}

async function refused(bytes: Buffer, failure: string, says: RegExp, limits = LIMITS) {
  const { error, base } = await extract(bytes, limits);
  expect(error).toBeInstanceOf(BakeError);
  expect((error as BakeError).failure).toBe(failure);
  expect((error as BakeError).message).toMatch(says);
  // Nothing was left behind: not the entries before the refusal, not the directory they went to.
  expect((await readdir(base)).sort()).toEqual(['release.tar.gz', 'ws']);
  expect(await readdir(join(base, 'ws'))).toEqual([]);
  return error as BakeError;
}

describe('extractArchive', () => {
  let cases: ReleaseCase[];
  beforeAll(async () => {
    cases = await releaseCases();
  });

  it('extracts the seed layout: directories and files, content intact', async () => {
    const good = cases[0] as ReleaseCase;
    const { summary, error, dest } = await extract(good.tarball);
    expect(error).toBeUndefined();
    expect(summary).toMatchObject({ files: 3, directories: 2, links: 0 });
    expect((await readdir(join(dest, '1'))).sort()).toEqual(['saved_model.pb', 'variables']);
  });

  it('refuses every bad release of the extract step, saying why', async () => {
    const bad = cases.filter((c) => c.fails?.step === 'extract');
    expect(bad.map((c) => c.name)).toEqual([
      'a ../ entry',
      'an absolute path',
      'a symbolic link pointing outside',
      'a truncated gzip',
      'an asset that is not a tarball',
      'a character device',
    ]);
    for (const c of bad) await refused(c.tarball, c.fails!.failure, c.fails!.says);
    expect(existsSync('/tmp/modelship-escaped.txt')).toBe(false);
    expect(existsSync(join(work, 'escaped.txt'))).toBe(false);
  });

  const file = (name: string, content = 'x'): TarWriteEntry => ({ name, type: 'file', content: Buffer.from(content) });

  it('refuses a chain of links that each look inside but together lead out', async () => {
    const chain = await tarGz([
      { name: 'a/', type: 'directory' },
      { name: 'a/up', type: 'symlink', linkname: '..' },
      { name: 'escape', type: 'symlink', linkname: 'a/up/..' },
    ]);
    await refused(chain, 'link-outside', /"escape" → "a\/up\/\.\." resolves to .*, outside the archive/);
  });

  it('keeps links that stay inside, and copies hard links to earlier files', async () => {
    const { summary, error, dest } = await extract(
      await tarGz([
        file('v/data', 'weights'),
        { name: 'v/alias', type: 'symlink', linkname: 'data' },
        { name: 'v/copy', type: 'hardlink', linkname: 'v/data' },
      ]),
    );
    expect(error).toBeUndefined();
    expect(summary).toMatchObject({ files: 2, links: 1, bytes: 14 });
    expect(await readFile(join(dest, 'v/alias'), 'utf8')).toBe('weights');
    expect((await lstat(join(dest, 'v/copy'))).isFile()).toBe(true);
  });

  it('refuses hard links outside the archive or to nothing earlier', async () => {
    await refused(await tarGz([{ name: 'p', type: 'hardlink', linkname: '/etc/passwd' }]), 'link-outside', /outside/);
    await refused(await tarGz([{ name: 'p', type: 'hardlink', linkname: '../x' }]), 'unsafe-path', /climbs out/);
    await refused(
      await tarGz([{ name: 'p', type: 'hardlink', linkname: 'later' }, file('later')]),
      'link-outside',
      /not a file earlier/,
    );
  });

  it('refuses a file written under a link, and a path that is both a link and a file', async () => {
    const under = [
      { name: 'lnk', type: 'symlink', linkname: 'dir' } as const,
      { name: 'dir/', type: 'directory' } as const,
    ];
    await refused(await tarGz([...under, file('lnk/evil')]), 'unsafe-path', /"lnk\/evil" lies under lnk, a symlink/);
    await refused(
      await tarGz([...under, file('lnk')]),
      'unsafe-path',
      /appears twice \(as a symlink, then as a file\)/,
    );
  });

  it('caps the number of entries and the bytes written, a gzip bomb included', async () => {
    const many = await tarGz(Array.from({ length: 5 }, (_, i) => file(`f${i}`)));
    await refused(many, 'too-many-files', /holds more than 4 entries/, { maxFiles: 4, maxBytes: 1000 });
    const bomb = gzipSync(await tarBytes([file('zeros', '\0'.repeat(4 * 1024 * 1024))]));
    expect(bomb.length).toBeLessThan(10_000);
    await refused(bomb, 'too-large', /past the cap of 1048576 bytes/, { maxFiles: 10, maxBytes: 1024 * 1024 });
  });

  it('refuses a tarball of twice the entries of the cap leaving nothing, and keeps an empty destination empty', async () => {
    const many = await tarGz(Array.from({ length: 2000 }, (_, i) => file(`1/variables/shard-${i}`)));
    await refused(many, 'too-many-files', /holds more than 1000 entries/, { maxFiles: 1000, maxBytes: 1e6 });

    const base = join(work, 'kept-empty');
    await mkdir(join(base, 'release'), { recursive: true });
    await writeFile(join(base, 'many.tar.gz'), many);
    const limits = { maxFiles: 100, maxBytes: 1e6 };
    await expect(extractArchive(join(base, 'many.tar.gz'), join(base, 'release'), limits)).rejects.toThrow(
      /more than 100 entries/,
    );
    expect((await readdir(base)).sort()).toEqual(['many.tar.gz', 'release']);
    expect(await readdir(join(base, 'release'))).toEqual([]);
    const summary = await extractArchive(join(base, 'many.tar.gz'), join(base, 'release'), {
      maxFiles: 2000,
      maxBytes: 1e6,
    });
    expect(summary.files).toBe(2000);
    expect((await readdir(join(base, 'release', '1', 'variables'))).length).toBe(2000);
    expect((await readdir(base)).sort()).toEqual(['many.tar.gz', 'release']);
  });

  it('leaves nothing behind when the extraction is aborted', async () => {
    const abort = new AbortController();
    const base = join(work, 'aborted');
    await mkdir(base, { recursive: true });
    await writeFile(join(base, 'r.tar.gz'), await tarGz([file('1/a'), file('1/b')]));
    abort.abort(new Error('build cancelled'));
    await expect(extractArchive(join(base, 'r.tar.gz'), join(base, 'release'), LIMITS, abort.signal)).rejects.toThrow(
      'build cancelled',
    );
    expect(await readdir(base)).toEqual(['r.tar.gz']);
  });

  it('reads a plain (uncompressed) tar too, and refuses an empty file', async () => {
    const { error } = await extract(await tarBytes([file('a')]));
    expect(error).toBeUndefined();
    await refused(Buffer.alloc(0), 'not-a-tarball', /release\.tar\.gz is empty/);
  });

  it('refuses a gzip stream that holds no tar', async () => {
    await refused(gzipSync('just some text, no tar header here'.padEnd(1024)), 'not-a-tarball', /not a tar archive/);
  });

  it('needs an empty destination', async () => {
    const dir = join(work, 'busy');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'x'), 'x');
    const archive = join(work, 'busy.tar.gz');
    await writeFile(archive, await tarGz([file('a')]));
    await expect(extractArchive(archive, dir, LIMITS)).rejects.toThrow(/is not empty/);
  });
});
