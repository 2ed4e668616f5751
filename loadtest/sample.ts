/**
 * What a load model emits. Models never touch statistics: they emit these events and the stats recorder
 * (loadtest/stats/recorder.ts) turns them into windows, like Locust's single `request` event.
 */
export interface RequestSample {
  readonly type: 'request';
  /** Epoch ms when the request should have been sent: latency is measured from here (no coordinated omission). */
  readonly intendedMs: number;
  /** Epoch ms when the reply (or the failure) arrived. */
  readonly endMs: number;
  readonly ok: boolean;
  /** 'OK', 'grpc 14 UNAVAILABLE', 'http 503', 'timeout', 'connection', 'shape'. */
  readonly code: string;
  readonly message?: string;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Sent later than the open model allows: the generator, not the server, fell behind. */
  readonly late: boolean;
}

/** The open model skipped a scheduled request because the in-flight cap was reached. */
export interface DroppedSample {
  readonly type: 'dropped';
  readonly intendedMs: number;
}

export type LoadEvent = RequestSample | DroppedSample;
export type Emit = (event: LoadEvent) => void;

/** The sample for one finished request. */
export function requestSample(
  result: { ok: boolean; code: string; message?: string; bytesSent: number; bytesReceived: number },
  intendedMs: number,
  endMs: number,
  late: boolean,
): RequestSample {
  const { ok, code, message, bytesSent, bytesReceived } = result;
  return { type: 'request', intendedMs, endMs, ok, code, message, bytesSent, bytesReceived, late };
}
