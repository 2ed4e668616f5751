/** Checks the reply of every `every`-th request (the output shape); a mismatch fails that request as 'shape'. */
export interface ReplyCheck {
  readonly every: number;
  /** Returns what is wrong with the reply message, or undefined when it is right. */
  check(message: Uint8Array): string | undefined;
}

/** Whether the `sent`-th request keeps its reply: always when asked to, else when its reply is to be checked. */
export function keepsReply(keepReply: boolean | undefined, check: ReplyCheck | undefined, sent: number): boolean {
  return keepReply === true || (check !== undefined && sent % check.every === 0);
}

/**
 * The same check, remembering its last message and verdict: a server mostly answers with the same bytes, and a
 * check is a function of the bytes, so a repeated reply is compared (memcmp) instead of decoded again: decoding
 * every 100th reply with protobufjs was about 8% of the generator's CPU on tiny requests.
 */
export function rememberLastVerdict(inner: ReplyCheck): ReplyCheck {
  let last: { message: Buffer; verdict: string | undefined } | undefined;
  return {
    every: inner.every,
    check(message) {
      if (last !== undefined && last.message.equals(message)) return last.verdict;
      const verdict = inner.check(message);
      last = { message: Buffer.from(message), verdict };
      return verdict;
    },
  };
}
