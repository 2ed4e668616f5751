import { FRAME_HEADER, FRAME_SIZE_ERROR, H2ProtocolError } from './h2-frames.js';

/** Called with each frame: its payload is buf[start, end). */
export type FrameHandler = (
  type: number,
  flags: number,
  streamId: number,
  buf: Buffer,
  start: number,
  end: number,
) => void;

/**
 * Splits a connection's bytes into frames. A frame inside one received chunk is handed over in place (no copy);
 * only a frame split across chunks is assembled into a buffer of its own.
 */
export class FrameReader {
  /** The frame being assembled across chunks: its first 9 bytes until its length is known, then all of it. */
  private partial: Buffer | undefined;
  private filled = 0;

  constructor(
    private readonly maxFrameSize: number,
    private readonly onFrame: FrameHandler,
  ) {}

  push(chunk: Buffer): void {
    let pos = this.partial ? this.fill(chunk) : 0;
    const size = chunk.length;
    while (size - pos >= FRAME_HEADER) {
      const end = pos + FRAME_HEADER + this.length(chunk, pos);
      if (end > size) break;
      this.dispatch(chunk, pos, end);
      pos = end;
    }
    if (pos < size) {
      const rest = size - pos;
      this.partial = Buffer.allocUnsafe(rest >= FRAME_HEADER ? FRAME_HEADER + this.length(chunk, pos) : FRAME_HEADER);
      this.filled = chunk.copy(this.partial, 0, pos);
    }
  }

  /** Adds the chunk's first bytes to the partial frame, dispatching it when complete; returns the bytes used. */
  private fill(chunk: Buffer): number {
    let pos = 0;
    for (;;) {
      const partial = this.partial!;
      const copied = chunk.copy(partial, this.filled, pos, pos + partial.length - this.filled);
      this.filled += copied;
      pos += copied;
      if (this.filled < partial.length) return pos;
      const length = this.length(partial, 0);
      if (partial.length === FRAME_HEADER && length > 0) {
        this.partial = Buffer.allocUnsafe(FRAME_HEADER + length);
        partial.copy(this.partial);
        continue;
      }
      this.partial = undefined;
      this.dispatch(partial, 0, partial.length);
      return pos;
    }
  }

  private length(buf: Buffer, at: number): number {
    const length = (buf[at]! << 16) | (buf[at + 1]! << 8) | buf[at + 2]!;
    if (length > this.maxFrameSize)
      throw new H2ProtocolError(
        FRAME_SIZE_ERROR,
        `expected frames of at most ${this.maxFrameSize} bytes (our SETTINGS_MAX_FRAME_SIZE), found ${length}`,
      );
    return length;
  }

  private dispatch(buf: Buffer, start: number, end: number): void {
    const streamId = buf.readUInt32BE(start + 5) & 0x7fffffff;
    this.onFrame(buf[start + 3]!, buf[start + 4]!, streamId, buf, start + FRAME_HEADER, end);
  }
}
