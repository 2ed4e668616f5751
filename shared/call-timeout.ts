import { TransientError } from './errors.js';

export interface CallTimeout {
  /** Aborts the call when the time runs out (or when the caller's own signal aborts). */
  signal: AbortSignal;
  /** The time, for the messages: "30 s". */
  span: string;
  /** (Re)starts the time: if `ms` pass before the next arm() or clear(), the call fails with `message`. */
  arm(message: string): void;
  clear(): void;
}

/**
 * The time an outgoing call may take, as an abort signal whose reason is a TransientError naming what timed out
 * (fetch fails with that reason, and so does a read of its body). Armed once, it bounds a whole call; armed again
 * on each chunk, it bounds a download that stalls without bounding one that is merely long.
 */
export function callTimeout(ms: number, parent?: AbortSignal): CallTimeout {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const clear = () => clearTimeout(timer);
  return {
    signal: parent ? AbortSignal.any([parent, controller.signal]) : controller.signal,
    span: `${ms / 1000} s`,
    arm(message) {
      clear();
      timer = setTimeout(() => controller.abort(new TransientError(message)), ms);
      // A call that already finished keeps nothing waiting for its timer; a call still in progress does.
      timer.unref();
    },
    clear,
  };
}

/** A fetch whose every call, its answer's body included, fails when it has not finished within `ms`. */
export function fetchWithin(ms: number, base: typeof fetch = fetch): typeof fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    const timeout = callTimeout(ms, init?.signal ?? undefined);
    timeout.arm(`${method} ${url.origin}${url.pathname} did not complete within ${timeout.span}`);
    return base(input, { ...init, signal: timeout.signal });
  };
}
