import {
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  newAutoResizeHistogram,
  type JsHistogram,
} from '../../shared/hdr-histogram.js';

/** A failure kind ('grpc 14 UNAVAILABLE') with its count and one sample message. */
export interface FailureKind {
  count: number;
  sample: string;
}

/**
 * Everything that completed in one second of the run: counts, bytes, failures and an HDR histogram of the
 * successful latencies in microseconds. Windows merge exactly (counts add, histograms add), so workers record
 * their own and the engine adds them up: the total is the merge of all windows.
 */
export interface Window {
  readonly second: number;
  requests: number;
  failures: number;
  late: number;
  dropped: number;
  bytesSent: number;
  bytesReceived: number;
  /** Exact extremes in µs (HDR's own min/max are bucket bounds). */
  minUs: number;
  maxUs: number;
  readonly histogram: JsHistogram;
  readonly failureKinds: Map<string, FailureKind>;
}

/** A window as it crosses a worker boundary (postMessage): the counts as they are, the histogram encoded. */
export type EncodedWindow = Omit<Window, 'histogram' | 'failureKinds'> & {
  /** HdrHistogram's compressed base64 form, readable by every HdrHistogram implementation. */
  histogram: string;
  failureKinds: [string, FailureKind][];
};

/** Microseconds, 3 significant digits: a value is stored within 0.1% of what was measured. */
export function newHistogram(): JsHistogram {
  return newAutoResizeHistogram(1, 3);
}

export function newWindow(second: number): Window {
  return {
    second,
    requests: 0,
    failures: 0,
    late: 0,
    dropped: 0,
    bytesSent: 0,
    bytesReceived: 0,
    minUs: Number.POSITIVE_INFINITY,
    maxUs: 0,
    histogram: newHistogram(),
    failureKinds: new Map(),
  };
}

export function addFailure(kinds: Map<string, FailureKind>, code: string, count: number, sample: string): void {
  const kind = kinds.get(code);
  if (kind) kind.count += count;
  else kinds.set(code, { count, sample });
}

export function mergeWindow(into: Window, from: Window): void {
  into.requests += from.requests;
  into.failures += from.failures;
  into.late += from.late;
  into.dropped += from.dropped;
  into.bytesSent += from.bytesSent;
  into.bytesReceived += from.bytesReceived;
  into.minUs = Math.min(into.minUs, from.minUs);
  into.maxUs = Math.max(into.maxUs, from.maxUs);
  into.histogram.add(from.histogram);
  for (const [code, kind] of from.failureKinds) addFailure(into.failureKinds, code, kind.count, kind.sample);
}

export function encodeWindow(window: Window): EncodedWindow {
  const { histogram, failureKinds, ...counts } = window;
  return { ...counts, histogram: encodeIntoCompressedBase64(histogram), failureKinds: [...failureKinds] };
}

export function decodeWindow(encoded: EncodedWindow): Window {
  const window = newWindow(encoded.second);
  const { histogram: _h, failureKinds, ...counts } = encoded;
  Object.assign(window, counts);
  window.histogram.add(decodeFromCompressedBase64(encoded.histogram));
  for (const [code, kind] of failureKinds) addFailure(window.failureKinds, code, kind.count, kind.sample);
  return window;
}
