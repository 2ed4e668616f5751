import { ModelshipError, errorMessage } from '../shared/errors.js';
import { TfServingError } from '../shared/tfserving/tfserving-error.js';
import { TIMEOUT_CODE } from './senders/deadlines.js';
import type { Target } from './senders/target.js';

/**
 * The first call to the target, retried while the target cannot be reached yet. A Cloud Run job with Direct VPC
 * egress may wait a minute or more after its container starts before it can open connections into the VPC
 * (https://cloud.google.com/run/docs/configuring/vpc-direct-vpc, Limitations): a load test that gave up at the
 * first refused connection would fail every cold start. Only failures that may pass on their own are retried (a
 * connection not made, no answer within --timeout, UNAVAILABLE), with a doubling wait, while the next attempt
 * still starts within `deadlineMs`: a wrong model or signature still fails at once. Each attempt is bounded by the
 * senders' own deadlines (its connection and its call within --timeout). It runs before the load test's clock
 * starts, so the waiting is never measured.
 */

/** Errors of a connection that was never made; node's codes, found anywhere in the error's causes. */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
/** TF Serving's answers that may change on their own, and our sender's deadline passing. */
const PASSING_CODES = new Set(['UNAVAILABLE', TIMEOUT_CODE]);
const FIRST_WAIT_MS = 500;
const MAX_WAIT_MS = 8000;
/** A bound on the attempts besides the deadline, should a clock misbehave. */
const MAX_ATTEMPTS = 64;
const CAUSE_DEPTH = 5;

export interface ConnectWait {
  readonly target: Target;
  /** How long to keep trying, from the first attempt; 0: one attempt. */
  readonly deadlineMs: number;
  /** The bound of each attempt's connection and call (--timeout), for the message. */
  readonly attemptMs: number;
  /** One line per wait: what failed and when the next attempt is. */
  readonly log: (line: string) => void;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A connection not made, no answer in time, or TF Serving saying UNAVAILABLE: each may pass on its own. */
export function mayPassOnItsOwn(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < CAUSE_DEPTH && current instanceof Error; depth += 1) {
    if (current instanceof TfServingError && PASSING_CODES.has(current.code)) return true;
    const code = (current as NodeJS.ErrnoException).code;
    if (code !== undefined && CONNECT_CODES.has(code)) return true;
    current = current.cause;
  }
  return false;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export async function untilConnected<T>(attempt: () => Promise<T>, wait: ConnectWait): Promise<T> {
  const now = wait.now ?? Date.now;
  const sleep = wait.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = now();
  let waitMs = FIRST_WAIT_MS;
  let attempts = 0;
  let last: unknown;
  while (attempts < MAX_ATTEMPTS) {
    attempts += 1;
    try {
      return await attempt();
    } catch (err) {
      if (!mayPassOnItsOwn(err)) throw err;
      last = err;
    }
    const elapsed = now() - started;
    if (elapsed + waitMs > wait.deadlineMs) break;
    wait.log(
      `waiting for ${wait.target.authority}: attempt ${attempts} failed (${errorMessage(last)}); next in ${seconds(waitMs)}, ${seconds(elapsed)} of ${seconds(wait.deadlineMs)} spent`,
    );
    await sleep(waitMs);
    waitMs = Math.min(waitMs * 2, MAX_WAIT_MS);
  }
  const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}, each connection and call within --timeout ${seconds(wait.attemptMs)}`;
  throw new ModelshipError(
    `target ${wait.target.authority} did not answer within --connect-timeout ${seconds(wait.deadlineMs)} (${tries}); last error: ${errorMessage(last)}`,
    {
      cause: last,
      hint: "check that TF Serving is up at that address, on the port of --protocol (gRPC 8500, REST 8501); from Cloud Run, that the job is in the internal load balancer's region and a firewall rule lets its subnet in",
    },
  );
}
