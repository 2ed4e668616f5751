import type { Socket } from 'node:net';
import { FRAME_HEADER, writeFrameHeader } from './h2-frames.js';

export const SLAB = 64 * 1024;
/** Payload slices at least this long are written in place (zero copy) rather than copied into the slab. */
const COPY_BELOW = 4096;

/**
 * The frames queued during one turn of the event loop, written to the socket together in setImmediate: small
 * frames are copied into a slab (one write for many requests), large payload slices are queued by reference,
 * and the lot goes out as one writev.
 */
export class WriteBatch {
  private slab = Buffer.allocUnsafe(SLAB);
  /** The slab's bytes [start, used) are queued and not yet cut into `chunks`. */
  private start = 0;
  private used = 0;
  private chunks: Buffer[] = [];
  /** Bytes in `chunks` by reference, not yet written. */
  private referenced = 0;
  private scheduled = false;
  private readonly flushNow = (): void => this.flush();

  /** `onWritable` is called when the socket takes more: after a write it took whole, and on 'drain'. */
  constructor(
    private readonly socket: Socket,
    private readonly onWritable: () => void = () => undefined,
  ) {
    socket.on('drain', onWritable);
  }

  /** Queues a whole frame, setting its stream id when given. */
  frame(frame: Buffer, streamId?: number): void {
    const at = this.reserve(frame.length);
    frame.copy(this.slab, at);
    if (streamId !== undefined) this.slab.writeUInt32BE(streamId, at + 5);
  }

  header(length: number, type: number, flags: number, streamId: number): void {
    const at = this.reserve(FRAME_HEADER); // before reading this.slab: reserve may start a new one
    writeFrameHeader(this.slab, at, length, type, flags, streamId);
  }

  /** Queues payload bytes buf[start, end): copied when short, by reference when long (buf must not change). */
  payload(buf: Buffer, start: number, end: number): void {
    if (end - start < COPY_BELOW) {
      const at = this.reserve(end - start);
      buf.copy(this.slab, at, start, end);
      return;
    }
    this.cut();
    this.chunks.push(buf.subarray(start, end));
    this.referenced += end - start;
    this.schedule();
  }

  /** Bytes queued and not yet taken by the kernel: what is in this batch and in the socket's own buffer. */
  get backlog(): number {
    return this.socket.writableLength + this.referenced + this.used - this.start;
  }

  flush(): void {
    this.scheduled = false;
    this.cut();
    const chunks = this.chunks;
    if (chunks.length === 0) return;
    this.chunks = [];
    this.referenced = 0;
    if (this.socket.destroyed || this.socket.writableEnded) return;
    let taken = true;
    if (chunks.length === 1) taken = this.socket.write(chunks[0]!);
    else {
      this.socket.cork();
      for (const chunk of chunks) taken = this.socket.write(chunk);
      this.socket.uncork();
    }
    if (taken) this.onWritable();
  }

  /** Room for n bytes in the slab: returns where to write them. */
  private reserve(n: number): number {
    if (this.slab.length - this.used < n) {
      this.cut();
      this.slab = Buffer.allocUnsafe(Math.max(SLAB, n));
      this.start = 0;
      this.used = 0;
    }
    const at = this.used;
    this.used += n;
    this.schedule();
    return at;
  }

  private cut(): void {
    if (this.used === this.start) return;
    this.chunks.push(this.slab.subarray(this.start, this.used));
    this.start = this.used;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushNow);
  }
}
