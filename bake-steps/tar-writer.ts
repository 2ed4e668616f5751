import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { TAR_BLOCK, TYPE_FLAGS, headerChecksum, type TarEntryType } from './tar-reader.js';

/**
 * Writes tar archives: the image layer of a baked model, and (in tests) releases good and bad. Entries are written
 * as given, `../` and links included, so the caller decides what is safe. Owners are root and times are fixed, so the
 * same files always give the same bytes (and the same layer digest).
 */

export interface TarWriteEntry {
  name: string;
  type: Exclude<TarEntryType, 'unsupported'>;
  mode?: number;
  linkname?: string;
  /** A file's content: bytes, or a file on disk to stream. */
  content?: Uint8Array | { path: string; size: number };
  /** Seconds since the epoch; 0 by default, for reproducible archives. */
  mtime?: number;
}

const OCTAL_SIZE_LIMIT = 8 ** 11;

function put(block: Buffer, value: string, start: number, length: number): void {
  block.write(value, start, Math.min(length, Buffer.byteLength(value)), 'utf8');
}

const octal = (value: number, digits: number) => value.toString(8).padStart(digits, '0');

/** ustar splits a long name at a slash into prefix (155 bytes) and name (100 bytes); undefined when it cannot. */
function ustarName(name: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest) return { prefix, name: rest };
  }
  return undefined;
}

function headerBlock(e: {
  name: string;
  prefix: string;
  flag: string;
  size: number;
  mode: number;
  linkname: string;
  mtime: number;
}) {
  const block = Buffer.alloc(TAR_BLOCK);
  put(block, e.name, 0, 100);
  put(block, `${octal(e.mode & 0o7777, 7)}\0`, 100, 8);
  put(block, `${octal(0, 7)}\0`, 108, 8);
  put(block, `${octal(0, 7)}\0`, 116, 8);
  put(block, `${octal(e.size < OCTAL_SIZE_LIMIT ? e.size : 0, 11)}\0`, 124, 12);
  put(block, `${octal(e.mtime, 11)}\0`, 136, 12);
  put(block, e.flag, 156, 1);
  put(block, e.linkname, 157, 100);
  put(block, 'ustar\0', 257, 6);
  put(block, '00', 263, 2);
  put(block, 'root', 265, 32);
  put(block, 'root', 297, 32);
  put(block, e.prefix, 345, 155);
  put(block, `${octal(headerChecksum(block), 6)}\0 `, 148, 8);
  return block;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = Buffer.byteLength(body);
  // The length counts its own digits: one correction settles it (99 + 2 digits may become 3 digits).
  let length = n + String(n).length;
  if (n + String(length).length !== length) length = n + String(length).length;
  return `${length}${body}`;
}

const padded = (data: Buffer) =>
  Buffer.concat([data, Buffer.alloc((TAR_BLOCK - (data.length % TAR_BLOCK)) % TAR_BLOCK)]);

/** The header blocks of one entry: a pax header first when a name, link name or size does not fit ustar. */
export function entryHeader(entry: TarWriteEntry, size: number): Buffer {
  const split = ustarName(entry.name);
  const linkname = entry.linkname ?? '';
  const records = [
    split ? '' : paxRecord('path', entry.name),
    Buffer.byteLength(linkname) <= 100 ? '' : paxRecord('linkpath', linkname),
    size < OCTAL_SIZE_LIMIT ? '' : paxRecord('size', String(size)),
  ].join('');
  const mode = entry.mode ?? (entry.type === 'directory' ? 0o755 : 0o644);
  const mtime = entry.mtime ?? 0;
  const own = headerBlock({
    name: split?.name ?? entry.name.slice(-100),
    prefix: split?.prefix ?? '',
    flag: TYPE_FLAGS[entry.type],
    size,
    mode,
    linkname: linkname.slice(0, 100),
    mtime,
  });
  if (!records) return own;
  const data = Buffer.from(records, 'utf8');
  const paxHeader = headerBlock({
    name: 'PaxHeader',
    prefix: '',
    flag: 'x',
    size: data.length,
    mode: 0o644,
    linkname: '',
    mtime,
  });
  return Buffer.concat([paxHeader, padded(data), own]);
}

/** The bytes of a tar archive, streamed: headers, contents, padding and the end-of-archive marker. */
export async function* tarStream(
  entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>,
): AsyncGenerator<Buffer> {
  for await (const entry of entries) {
    const content = entry.content;
    const size = entry.type !== 'file' || !content ? 0 : content instanceof Uint8Array ? content.length : content.size;
    yield entryHeader(entry, size);
    if (size === 0 || !content) continue;
    if (content instanceof Uint8Array) yield Buffer.from(content);
    else {
      let read = 0;
      for await (const chunk of createReadStream(content.path) as AsyncIterable<Buffer>) {
        read += chunk.length;
        yield chunk;
      }
      if (read !== size)
        throw new Error(`${content.path} changed while it was archived: ${read} bytes, expected ${size}`);
    }
    yield Buffer.alloc((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
  }
  yield Buffer.alloc(2 * TAR_BLOCK);
}

/**
 * Every directory and regular file under `dir`, sorted, named relative to it (directories end in `/`). Anything else
 * (a link, a device) is refused: a layer holds exactly the files that were checked.
 */
export async function* directoryEntries(dir: string, prefix = ''): AsyncGenerator<TarWriteEntry> {
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    const path = join(dir, name);
    const info = await lstat(path);
    const entryName = `${prefix}${name}`;
    if (info.isDirectory()) {
      yield { name: `${entryName}/`, type: 'directory' };
      yield* directoryEntries(path, `${entryName}/`);
    } else if (info.isFile()) {
      yield { name: entryName, type: 'file', content: { path, size: info.size } };
    } else {
      throw new Error(`${path} is neither a file nor a directory; it cannot go into an archive`);
    }
  }
}

/** Writes a tar archive to `file`, gzip-compressed when asked. Returns nothing; the file is complete when it resolves. */
export async function writeTarFile(
  entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>,
  file: string,
  { gzip = false }: { gzip?: boolean } = {},
): Promise<void> {
  const source = Readable.from(tarStream(entries));
  if (gzip) await pipeline(source, createGzip(), createWriteStream(file));
  else await pipeline(source, createWriteStream(file));
}
