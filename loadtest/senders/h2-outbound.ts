import type { Socket } from 'node:net';
import {
  DATA,
  DEFAULT_FRAME_SIZE,
  DEFAULT_WINDOW,
  END_STREAM,
  FLOW_CONTROL_ERROR,
  H2ProtocolError,
  MAX_WINDOW,
} from './h2-frames.js';
import type { H2Stream } from './h2-stream.js';
import { WriteBatch } from './h2-write-batch.js';

/**
 * Body bytes queued beyond what the kernel took, above which DATA waits for the socket's 'drain': writing many
 * large bodies at once would block the event loop in one huge writev while replies wait to be read.
 */
const MAX_BACKLOG = 1 << 20;

/**
 * The sending half of a connection: request HEADERS, and bodies as DATA frames split at the peer's
 * SETTINGS_MAX_FRAME_SIZE within its flow-control windows (the connection's and each stream's), oldest stream
 * first; everything goes through one WriteBatch per event-loop turn.
 */
export class H2Outbound {
  readonly batch: WriteBatch;
  /** The peer's SETTINGS_MAX_FRAME_SIZE and SETTINGS_INITIAL_WINDOW_SIZE. */
  maxFrame = DEFAULT_FRAME_SIZE;
  private initialWindow = DEFAULT_WINDOW;
  /** The peer's connection-level window for our DATA. */
  private window = DEFAULT_WINDOW;
  /** Opened streams with body bytes left to send. */
  private sending: H2Stream[] = [];

  constructor(socket: Socket) {
    this.batch = new WriteBatch(socket, () => this.pump());
  }

  /** Sends the stream's HEADERS frame and as much of its body as the windows allow. */
  open(stream: H2Stream, id: number): void {
    stream.id = id;
    stream.window = this.initialWindow;
    this.batch.frame(stream.request.headers, id);
    const body = stream.request.body;
    const n = body.length;
    if (n === 0) return;
    // The common case, one DATA frame that every window allows: no queue.
    const fits = n <= this.maxFrame && n <= this.window && n <= stream.window;
    if (this.sending.length === 0 && fits && n + this.batch.backlog <= MAX_BACKLOG) {
      this.batch.header(n, DATA, END_STREAM, id);
      this.batch.payload(body, 0, n);
      stream.sent = n;
      stream.window -= n;
      this.window -= n;
      return;
    }
    this.sending.push(stream);
    this.pump();
  }

  /** The peer changed SETTINGS_INITIAL_WINDOW_SIZE: every open stream's window moves by the difference. */
  setInitialWindow(value: number, open: Iterable<H2Stream>): void {
    if (value > MAX_WINDOW)
      throw new H2ProtocolError(FLOW_CONTROL_ERROR, `expected SETTINGS_INITIAL_WINDOW_SIZE <= 2^31-1, found ${value}`);
    for (const stream of open) stream.window += value - this.initialWindow;
    this.initialWindow = value;
  }

  /** A WINDOW_UPDATE for the connection (no stream) or one stream. */
  grow(stream: H2Stream | undefined, increment: number): void {
    const window = stream ? (stream.window += increment) : (this.window += increment);
    if (window > MAX_WINDOW)
      throw new H2ProtocolError(FLOW_CONTROL_ERROR, `expected a flow-control window <= 2^31-1, found ${window}`);
    this.pump();
  }

  /** Sends queued body bytes, oldest stream first, as far as the windows allow; finished streams drop out. */
  pump(): void {
    let kept = 0;
    for (const stream of this.sending) {
      if (stream.finished) continue;
      const body = stream.request.body;
      while (stream.sent < body.length && this.window > 0 && stream.window > 0) {
        const room = MAX_BACKLOG - this.batch.backlog;
        if (room <= 0) break;
        const n = Math.min(
          body.length - stream.sent,
          this.maxFrame,
          this.window,
          stream.window,
          Math.max(room, 16_384),
        );
        const end = stream.sent + n;
        this.batch.header(n, DATA, end === body.length ? END_STREAM : 0, stream.id);
        this.batch.payload(body, stream.sent, end);
        stream.sent = end;
        stream.window -= n;
        this.window -= n;
      }
      if (stream.sent < body.length) this.sending[kept++] = stream;
    }
    this.sending.length = kept;
  }
}
