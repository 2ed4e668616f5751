/** The outcome of one request, as a sender reports it. Senders never throw for a failed request. */
export interface SendResult {
  readonly ok: boolean;
  /** 'OK', 'grpc 14 UNAVAILABLE', 'http 503', 'timeout', 'connection'. */
  readonly code: string;
  readonly message?: string;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** The reply's message bytes, only when the sender was asked to keep them (the pre-flight check). */
  readonly body?: Uint8Array;
}

/** Sends the one prepared request to the target, over a pool of connections. */
export interface Sender {
  send(): Promise<SendResult>;
  close(): Promise<void>;
}
