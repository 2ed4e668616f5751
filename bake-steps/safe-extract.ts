import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, realpath, rename, rm, stat, symlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, posix, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openArchive } from './archive-stream.js';
import { BakeError } from './bake-error.js';
import { readTar, type TarEntry } from './tar-reader.js';

/**
 * Extracts a release tarball without trusting it: no absolute paths, no `..`, no link that leads out of the tree,
 * no devices or FIFOs, and caps on the number of entries and the bytes written. Symbolic links are created last,
 * after every file, so that no file is ever written through a link; each is then resolved by the kernel and must
 * land inside the tree (which catches chains of links that look harmless one by one). A refusal leaves nothing
 * behind: the archive is extracted beside the destination and moved there only once all of it passed.
 */

export interface ExtractLimits {
  /** Most entries (files, directories, links) accepted. */
  maxFiles: number;
  /** Most bytes of file content written. */
  maxBytes: number;
}

export interface ExtractSummary {
  entries: number;
  files: number;
  directories: number;
  links: number;
  bytes: number;
}

type Kind = 'file' | 'directory' | 'symlink';

const unsafe = (what: string, name: string, why: string) =>
  new BakeError(
    'unsafe-path',
    `${what}: entry ${JSON.stringify(name)} ${why}; nothing was extracted outside the tree`,
    {
      hint: 'create the tarball from inside the export directory: tar -czf saved_model.tar.gz -C export 1',
    },
  );

/** The entry's path as segments, or an error when it is absolute or climbs out with `..`. */
function segmentsOf(name: string, what: string): string[] {
  if (name.includes('\0')) throw unsafe(what, name, 'contains a NUL byte');
  if (name.startsWith('/')) throw unsafe(what, name, 'is an absolute path');
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw unsafe(what, name, 'climbs out of the archive with ".."');
  return segments;
}

export async function extractArchive(
  archive: string,
  dest: string,
  limits: ExtractLimits,
  signal?: AbortSignal,
): Promise<ExtractSummary> {
  const present = await readdir(dest).catch(() => []);
  if (present.length > 0) throw new Error(`${dest} is not empty; extraction needs an empty directory`);
  const source = await openArchive(archive);
  // Most refusals come after entries were written (the entry over the cap is the last one): extracting into a
  // sibling that is removed on any failure, and renamed to `dest` (an empty directory is replaced) on success, keeps
  // `dest` free of half a release. Counting entries first would read and gunzip every accepted release twice to save
  // work on refused ones, whose waste the caps already bound.
  await mkdir(dirname(dest), { recursive: true });
  const staging = await mkdtemp(join(dirname(dest), `.${basename(dest)}.extracting-`));
  try {
    const summary = await extractInto(source, await realpath(staging), basename(archive), limits, signal);
    await rename(staging, dest);
    return summary;
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

async function extractInto(
  source: AsyncIterable<Uint8Array>,
  root: string,
  what: string,
  limits: ExtractLimits,
  signal: AbortSignal | undefined,
): Promise<ExtractSummary> {
  const kinds = new Map<string, Kind>();
  const links: Array<{ name: string; path: string; target: string }> = [];
  const summary: ExtractSummary = { entries: 0, files: 0, directories: 0, links: 0, bytes: 0 };

  const claim = (entry: TarEntry, segments: string[], kind: Kind) => {
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('/');
      const parentKind = kinds.get(parent);
      if (parentKind && parentKind !== 'directory')
        throw unsafe(what, entry.name, `lies under ${parent}, a ${parentKind}`);
      kinds.set(parent, 'directory');
    }
    const rel = segments.join('/');
    const before = kinds.get(rel);
    if (before && (before !== kind || kind === 'symlink')) {
      throw unsafe(what, entry.name, `appears twice (as a ${before}, then as a ${kind})`);
    }
    kinds.set(rel, kind);
    return { rel, path: join(root, ...segments) };
  };
  const spend = (entry: TarEntry, bytes: number) => {
    summary.bytes += bytes;
    if (summary.bytes > limits.maxBytes) {
      throw new BakeError(
        'too-large',
        `${what}: extracting ${JSON.stringify(entry.name)} (${bytes} bytes) takes the content past the cap of ${limits.maxBytes} bytes`,
        { hint: 'a SavedModel this large needs a larger BAKE_MAX_EXTRACTED_BYTES' },
      );
    }
  };

  for await (const entry of readTar(source, what)) {
    signal?.throwIfAborted();
    if (++summary.entries > limits.maxFiles) {
      throw new BakeError('too-many-files', `${what} holds more than ${limits.maxFiles} entries`, {
        hint: 'a SavedModel has a handful of files; raise BAKE_MAX_FILES if this one really has more',
      });
    }
    const segments = segmentsOf(entry.name, what);
    if (segments.length === 0) {
      if (entry.type === 'directory') continue; // "./", the archive's own root
      throw unsafe(what, entry.name, 'has an empty name');
    }
    switch (entry.type) {
      case 'directory': {
        const { path } = claim(entry, segments, 'directory');
        await mkdir(path, { recursive: true });
        summary.directories++;
        break;
      }
      case 'file': {
        spend(entry, entry.size);
        const { path } = claim(entry, segments, 'file');
        await mkdir(join(path, '..'), { recursive: true });
        await pipeline(Readable.from(entry.body()), createWriteStream(path, { mode: 0o644 }));
        summary.files++;
        break;
      }
      case 'hardlink': {
        if (entry.linkname.startsWith('/')) {
          throw new BakeError(
            'link-outside',
            `${what}: hard link ${JSON.stringify(entry.name)} points at ${entry.linkname}, outside the archive`,
          );
        }
        const target = segmentsOf(entry.linkname, what).join('/');
        if (kinds.get(target) !== 'file') {
          throw new BakeError(
            'link-outside',
            `${what}: hard link ${JSON.stringify(entry.name)} points at ${JSON.stringify(entry.linkname)}, which is not a file earlier in the archive`,
          );
        }
        const source = join(root, ...target.split('/'));
        spend(entry, (await stat(source)).size);
        const { path } = claim(entry, segments, 'file');
        await mkdir(join(path, '..'), { recursive: true });
        await copyFile(source, path); // a copy, not a link: the tree holds no shared inodes
        summary.files++;
        break;
      }
      case 'symlink': {
        const resolved = posix.normalize(posix.join(posix.dirname(segments.join('/')), entry.linkname));
        if (entry.linkname === '' || isAbsolute(entry.linkname) || resolved === '..' || resolved.startsWith('../')) {
          throw new BakeError(
            'link-outside',
            `${what}: symbolic link ${JSON.stringify(entry.name)} points at ${JSON.stringify(entry.linkname)}, outside the archive`,
            { hint: 'a SavedModel needs no links; archive the files themselves (tar -h follows links)' },
          );
        }
        const { path } = claim(entry, segments, 'symlink');
        links.push({ name: entry.name, path, target: entry.linkname });
        break;
      }
      default:
        throw new BakeError(
          'special-file',
          `${what}: entry ${JSON.stringify(entry.name)} is a ${entry.type === 'unsupported' ? `tar entry of type '${entry.typeflag}'` : entry.type}; a SavedModel holds only files and directories`,
        );
    }
  }

  for (const link of links) {
    await mkdir(join(link.path, '..'), { recursive: true });
    await symlink(link.target, link.path);
  }
  for (const link of links) {
    const real = await realpath(link.path).catch((err: NodeJS.ErrnoException) => {
      throw new BakeError(
        'link-outside',
        `${what}: symbolic link ${JSON.stringify(link.name)} → ${JSON.stringify(link.target)} does not resolve inside the archive (${err.code})`,
        { cause: err },
      );
    });
    const inside = relative(root, real);
    if (inside === '..' || inside.startsWith('../') || isAbsolute(inside)) {
      throw new BakeError(
        'link-outside',
        `${what}: symbolic link ${JSON.stringify(link.name)} → ${JSON.stringify(link.target)} resolves to ${real}, outside the archive`,
      );
    }
    summary.links++;
  }
  return summary;
}
