import type { H2Request } from './h2-request.js';

/** One request and its response on an HTTP/2 connection, as the client sees them. */
export class H2Stream {
  /** Odd, from 1; 0 while the stream waits to be opened. */
  id = 0;
  /** The response's :status, 0 until its headers come. */
  status = 0;
  /** The response's header and trailer fields, pseudo-headers left out: name, value, name, value, ... */
  readonly fields: string[] = [];
  /** DATA payload bytes received (padding excluded). */
  received = 0;
  /** The DATA payloads, when the caller asked to keep them. */
  readonly chunks: Buffer[] | undefined;
  /** Why the stream failed (reset, GOAWAY, connection lost); undefined when it ended normally. */
  error: string | undefined;
  finished = false;
  /** Body bytes sent, and what the peer's flow control still lets this stream send. */
  sent = 0;
  window = 0;
  /** DATA bytes received since this stream's last WINDOW_UPDATE. */
  unacked = 0;

  constructor(
    readonly request: H2Request,
    keep: boolean,
    /** Called once when the response ended or the stream failed; never for a stream the caller reset. */
    readonly done: (stream: H2Stream) => void,
  ) {
    this.chunks = keep ? [] : undefined;
  }

  /** The last value of a response field (trailers come after headers, so they win). */
  field(name: string): string | undefined {
    for (let i = this.fields.length - 2; i >= 0; i -= 2) if (this.fields[i] === name) return this.fields[i + 1];
    return undefined;
  }
}
