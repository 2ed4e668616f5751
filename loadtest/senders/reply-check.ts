/** Checks the reply of every `every`-th request (the output shape); a mismatch fails that request as 'shape'. */
export interface ReplyCheck {
  readonly every: number;
  /** Returns what is wrong with the reply message, or undefined when it is right. */
  check(message: Uint8Array): string | undefined;
}
