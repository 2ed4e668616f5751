import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BakeError } from './bake-error.js';
import { TAR_BLOCK } from './tar-reader.js';

/** What a file that is not a tarball is, from its first bytes, so that the error says what was uploaded instead. */
const KNOWN_FORMATS: Array<{ magic: number[]; what: string }> = [
  { magic: [0x50, 0x4b, 0x03, 0x04], what: 'a zip archive' },
  { magic: [0x42, 0x5a, 0x68], what: 'bzip2-compressed' },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz-compressed' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd-compressed' },
  { magic: [0x3c], what: 'text starting with "<" (an HTML page?)' },
  { magic: [0x7b], what: 'text starting with "{" (a JSON document?)' },
];

const GZIP = [0x1f, 0x8b];
const startsWith = (head: Buffer, magic: number[]) => magic.every((b, i) => head[i] === b);

const HINT = 'attach the SavedModel as a gzip-compressed tarball: tar -czf saved_model.tar.gz -C export 1';

function gzipError(err: unknown, what: string): BakeError {
  const code = (err as { code?: string }).code;
  if (code === 'Z_BUF_ERROR') {
    return new BakeError('truncated', `${what} is truncated: the gzip stream ends early (${(err as Error).message})`, {
      cause: err,
      hint: 'upload the release asset again; check that it was fully written before the upload',
    });
  }
  return new BakeError('corrupt', `${what} is corrupt: ${(err as Error).message}`, { cause: err, hint: HINT });
}

/**
 * The tar bytes of an archive file: gunzipped when it is gzip, as is when it is a plain tar. Anything else is refused
 * before a byte is extracted, naming what it looks like (a zip, an HTML error page).
 */
export async function openArchive(file: string): Promise<AsyncIterable<Uint8Array>> {
  const what = basename(file);
  const handle = await open(file);
  const head = Buffer.alloc(TAR_BLOCK);
  let length: number;
  try {
    ({ bytesRead: length } = await handle.read(head, 0, TAR_BLOCK, 0));
  } finally {
    await handle.close();
  }
  if (startsWith(head, GZIP)) {
    const gunzip = createGunzip();
    // Errors of either stream surface through the iteration below; the callback only keeps them from being unhandled.
    pipeline(createReadStream(file), gunzip, () => undefined);
    return (async function* () {
      try {
        yield* gunzip as AsyncIterable<Buffer>;
      } catch (err) {
        throw gzipError(err, what);
      }
    })();
  }
  if (length === TAR_BLOCK && head.toString('latin1', 257, 262) === 'ustar') return createReadStream(file);
  const known = KNOWN_FORMATS.find((f) => startsWith(head, f.magic));
  const first = [...head.subarray(0, Math.min(length, 8))].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new BakeError(
    'not-a-tarball',
    length === 0
      ? `${what} is empty`
      : `${what} is not a tarball: it is ${known?.what ?? `unknown data starting with bytes ${first}`}`,
    { hint: HINT },
  );
}
