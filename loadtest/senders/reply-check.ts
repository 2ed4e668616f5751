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
