import { BakeError } from './bake-error.js';
import { ByteReader } from './byte-reader.js';

/**
 * A streaming reader of tar archives: POSIX ustar, pax extended headers (path, linkpath, size) and GNU long names,
 * which together are what tar, Python's tarfile and Go's archive/tar write. It only parses: deciding what is safe to
 * extract is safe-extract.ts's job. Nothing is buffered beyond one chunk of content or one metadata header.
 */

export type TarEntryType =
  'file' | 'directory' | 'symlink' | 'hardlink' | 'character-device' | 'block-device' | 'fifo' | 'unsupported';

export interface TarHeader {
  name: string;
  type: TarEntryType;
  /** The raw type flag, to name an unsupported one. */
  typeflag: string;
  size: number;
  mode: number;
  linkname: string;
}

export interface TarEntry extends TarHeader {
  /** The content in chunks. Read it before asking for the next entry, or it is skipped. */
  body(): AsyncGenerator<Buffer>;
}

export const TAR_BLOCK = 512;

export const TYPE_FLAGS: Record<Exclude<TarEntryType, 'unsupported'>, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  'character-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
};

const FLAG_TYPES = new Map<string, TarEntryType>([
  ...Object.entries(TYPE_FLAGS).map(([type, flag]) => [flag, type as TarEntryType] as const),
  ['\0', 'file'],
  ['7', 'file'], // contiguous file: a regular file everywhere that matters
]);

const text = (block: Buffer, start: number, length: number): string => {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
};

/** An octal field, or GNU's base-256 form (high bit set) used for sizes of 8 GiB and more. */
function numeric(block: Buffer, start: number, length: number, what: string): number {
  const first = block[start] ?? 0;
  if (first & 0x80) {
    let value = first & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + (block[i] ?? 0);
    return value;
  }
  const digits = text(block, start, length).trim();
  if (digits === '') return 0;
  if (!/^[0-7]+$/.test(digits)) throw new Error(`${what} field is not octal: ${JSON.stringify(digits)}`);
  return parseInt(digits, 8);
}

/** The header checksum: the byte sum with the checksum field counted as spaces. */
export function headerChecksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] ?? 0);
  return sum;
}

/** pax records: "LENGTH key=value\n", the length counting the whole record. */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = Number(data.subarray(at, space).toString('ascii'));
    if (space === -1 || !Number.isInteger(length) || length <= 0 || at + length > data.length) break;
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  return out;
}

const padding = (size: number) => (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;

/**
 * The entries of a tar stream. `what` names the archive in errors. An archive that ends inside an entry is truncated;
 * one whose first block is not a tar header is not a tarball; metadata headers over `maxMetaBytes` are refused.
 */
export async function* readTar(
  source: AsyncIterable<Uint8Array>,
  what: string,
  maxMetaBytes = 1 << 20,
): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(source[Symbol.asyncIterator]());
  const truncated = (detail: string) =>
    new BakeError('truncated', `${what} is truncated: ${detail} at byte ${reader.offset} of the tar stream`, {
      hint: 'upload the release asset again; check that it was fully written before the upload',
    });
  const skip = async (n: number) => {
    if ((await reader.skip(n)) < n) throw truncated('the archive ends inside an entry');
  };
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  for (let index = 0; ; index++) {
    const block = await reader.read(TAR_BLOCK);
    if (block.length === 0 && index > 0) return;
    if (block.length < TAR_BLOCK) {
      if (index === 0) throw new BakeError('not-a-tarball', `${what} is not a tar archive: only ${block.length} bytes`);
      throw truncated('the archive ends inside a header');
    }
    if (block.every((b) => b === 0)) return; // the end-of-archive marker: nothing after it is read
    const stored = text(block, 148, 8).trim();
    if (!/^[0-7]+$/.test(stored) || parseInt(stored, 8) !== headerChecksum(block)) {
      if (index === 0) {
        throw new BakeError('not-a-tarball', `${what} is not a tar archive: its first block is not a tar header`, {
          hint: 'the asset must be a tarball of the SavedModel: tar -czf saved_model.tar.gz -C export 1',
        });
      }
      throw new BakeError(
        'corrupt',
        `${what} is corrupt: the tar header at byte ${reader.offset - TAR_BLOCK} has a bad checksum`,
      );
    }
    const typeflag = String.fromCharCode(block[156] ?? 0);
    let size: number;
    let mode: number;
    try {
      size = numeric(block, 124, 12, 'size');
      mode = numeric(block, 100, 8, 'mode');
    } catch (err) {
      throw new BakeError('corrupt', `${what} is corrupt: ${(err as Error).message}`, { cause: err });
    }

    if ('xgLK'.includes(typeflag)) {
      if (size > maxMetaBytes) {
        throw new BakeError(
          'too-large',
          `${what}: a metadata header of ${size} bytes exceeds the ${maxMetaBytes}-byte limit`,
        );
      }
      const data = await reader.read(size);
      if (data.length < size) throw truncated('the archive ends inside a metadata header');
      await skip(padding(size));
      if (typeflag === 'x') pax = { ...pax, ...parsePax(data) };
      else if (typeflag === 'L') longName = text(data, 0, data.length);
      else if (typeflag === 'K') longLink = text(data, 0, data.length);
      continue; // a global header ('g') changes nothing this reader reports
    }

    const ustar = text(block, 257, 6) === 'ustar';
    const prefix = ustar && block[262] === 0 ? text(block, 345, 155) : '';
    const ownName = text(block, 0, 100);
    if (pax.size !== undefined) {
      if (!/^\d+$/.test(pax.size))
        throw new BakeError('corrupt', `${what} is corrupt: pax size ${JSON.stringify(pax.size)}`);
      size = Number(pax.size);
    }
    const header: TarHeader = {
      name: pax.path ?? longName ?? (prefix ? `${prefix}/${ownName}` : ownName),
      type: FLAG_TYPES.get(typeflag) ?? 'unsupported',
      typeflag,
      size,
      mode,
      linkname: pax.linkpath ?? longLink ?? text(block, 157, 100),
    };
    pax = {};
    longName = longLink = undefined;

    let left = size;
    yield {
      ...header,
      async *body() {
        while (left > 0) {
          const chunk = await reader.some(left);
          if (chunk.length === 0) throw truncated('the archive ends inside an entry');
          left -= chunk.length;
          yield chunk;
        }
      },
    };
    await skip(left + padding(size));
  }
}
