/** Reads exact byte counts from a stream of chunks of any size, without copying when a chunk is large enough. */
export class ByteReader {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  /** Bytes handed out so far, i.e. the stream offset of the next read. */
  offset = 0;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  private async fill(n: number): Promise<void> {
    while (this.buffered < n && !this.ended) {
      const next = await this.source.next();
      if (next.done) this.ended = true;
      else if (next.value.byteLength > 0) {
        const v = next.value;
        this.chunks.push(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));
        this.buffered += v.byteLength;
      }
    }
  }

  /** Up to `max` bytes of what is buffered (reading a chunk when nothing is); empty at the end of the stream. */
  async some(max: number): Promise<Buffer> {
    await this.fill(1);
    const first = this.chunks[0];
    if (!first || max <= 0) return Buffer.alloc(0);
    const out = first.length <= max ? first : first.subarray(0, max);
    if (out === first) this.chunks.shift();
    else this.chunks[0] = first.subarray(max);
    this.buffered -= out.length;
    this.offset += out.length;
    return out;
  }

  /** Exactly `n` bytes, or fewer when the stream ends first. */
  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const parts: Buffer[] = [];
    for (let left = n; left > 0;) {
      const part = await this.some(left);
      if (part.length === 0) break;
      parts.push(part);
      left -= part.length;
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }

  /** Discards `n` bytes; returns how many there were. */
  async skip(n: number): Promise<number> {
    let done = 0;
    while (done < n) {
      const part = await this.some(n - done);
      if (part.length === 0) break;
      done += part.length;
    }
    return done;
  }
}
