import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BakeError } from '../../../bake-steps/bake-error.js';
import { readTar, type TarHeader } from '../../../bake-steps/tar-reader.js';
import { entryHeader, type TarWriteEntry } from '../../../bake-steps/tar-writer.js';
import { tarBytes } from '../../support/releases.js';

/** Every entry of a tar held in memory, fed in chunks of `chunk` bytes (the reader must not care how it is cut). */
async function entries(bytes: Buffer, chunk = 7): Promise<Array<TarHeader & { content: string }>> {
  async function* source() {
    for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
  }
  const out: Array<TarHeader & { content: string }> = [];
  for await (const entry of readTar(source(), 'test.tar')) {
    const parts: Buffer[] = [];
    for await (const part of entry.body()) parts.push(part);
    const { name, type, typeflag, size, mode, linkname } = entry;
    out.push({ name, type, typeflag, size, mode, linkname, content: Buffer.concat(parts).toString() });
  }
  return out;
}

const failure = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BakeError);
  return err as BakeError;
};

describe('tar writer and reader', () => {
  const long = `${'deep/'.repeat(40)}file.txt`;
  const longer = 'x'.repeat(150);
  const written: TarWriteEntry[] = [
    { name: 'dir/', type: 'directory' },
    { name: 'dir/a.txt', type: 'file', content: Buffer.from('hello'), mode: 0o600 },
    { name: 'dir/empty', type: 'file', content: Buffer.alloc(0) },
    { name: 'dir/link', type: 'symlink', linkname: 'a.txt' },
    { name: 'dir/hard', type: 'hardlink', linkname: 'dir/a.txt' },
    { name: long, type: 'file', content: Buffer.from('in a long path') },
    { name: longer, type: 'symlink', linkname: `${longer}/target` },
    { name: 'dev', type: 'character-device' },
    { name: 'big', type: 'file', content: Buffer.alloc(1500, 7) },
  ];

  it('round-trips every entry type, long names (ustar prefix and pax) and content, however the stream is cut', async () => {
    const bytes = await tarBytes(written);
    for (const chunk of [1, 7, 512, 100_000]) {
      const read = await entries(bytes, chunk);
      expect(read.map((e) => [e.name, e.type, e.linkname])).toEqual(
        written.map((e) => [e.name, e.type, e.linkname ?? '']),
      );
      expect(read[1]).toMatchObject({ content: 'hello', mode: 0o600, size: 5 });
      expect(read[5]?.content).toBe('in a long path');
      expect(read[8]?.content).toBe('\u0007'.repeat(1500));
    }
  });

  it('writes the same bytes for the same entries (owners root, times zero)', async () => {
    expect((await tarBytes(written)).equals(await tarBytes(written))).toBe(true);
  });

  it('skips the content of entries the caller does not read', async () => {
    const names: string[] = [];
    for await (const entry of readTar(Readable.from([await tarBytes(written)]), 'test.tar')) names.push(entry.name);
    expect(names).toHaveLength(written.length);
  });

  it('reads GNU long names (type L) and reports unknown types as unsupported', async () => {
    const name = `gnu/${'n'.repeat(120)}`;
    const longName = Buffer.concat([Buffer.from(`${name}\0`), Buffer.alloc(512 - name.length - 1)]);
    const gnuHeader = entryHeader({ name: '././@LongLink', type: 'file' }, name.length + 1);
    gnuHeader[156] = 'L'.charCodeAt(0);
    fixChecksum(gnuHeader);
    const own = entryHeader({ name: 'short', type: 'file' }, 0);
    const sparse = entryHeader({ name: 'sparse', type: 'file' }, 0);
    sparse[156] = 'S'.charCodeAt(0);
    fixChecksum(sparse);
    const read = await entries(Buffer.concat([gnuHeader, longName, own, sparse, Buffer.alloc(1024)]));
    expect(read.map((e) => [e.name, e.type, e.typeflag])).toEqual([
      [name, 'file', '0'],
      ['sparse', 'unsupported', 'S'],
    ]);
  });

  it('says a stream that is not tar is not a tarball, and one cut inside an entry is truncated', async () => {
    expect((await failure(entries(Buffer.from('{"message": "Not Found"}'.padEnd(600))))).failure).toBe('not-a-tarball');
    const bytes = await tarBytes(written);
    const cut = await failure(entries(bytes.subarray(0, 512 * 3 + 100)));
    expect(cut.failure).toBe('truncated');
    expect(cut.message).toMatch(/test\.tar is truncated: the archive ends inside/);
  });

  it('refuses a header with a bad checksum after the first as corrupt', async () => {
    const bytes = Buffer.from(await tarBytes(written.slice(0, 2)));
    bytes[512 + 10] = 0x41; // the second header's name, not its checksum
    expect((await failure(entries(bytes))).message).toMatch(/corrupt: the tar header at byte 512 has a bad checksum/);
  });

  it('is not fooled by a gzip stream: that is the opener’s job', async () => {
    expect((await failure(entries(gzipSync(await tarBytes(written))))).failure).toBe('not-a-tarball');
  });
});

function fixChecksum(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += block[i] ?? 0;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}
