import { describe, expect, it } from 'vitest';
import { rememberLastVerdict, type ReplyCheck } from '../../../../loadtest/senders/reply-check.js';

/** A check that fails replies starting with 0, counting how often it really looked. */
function countingCheck(): ReplyCheck & { calls: number } {
  const check = {
    every: 7,
    calls: 0,
    check(message: Uint8Array) {
      check.calls += 1;
      return message[0] === 0 ? 'starts with 0' : undefined;
    },
  };
  return check;
}

describe('rememberLastVerdict', () => {
  it('gives a repeated reply the last verdict without checking it again', () => {
    const inner = countingCheck();
    const check = rememberLastVerdict(inner);
    expect(check.every).toBe(7);
    expect(check.check(Buffer.from([0, 1]))).toBe('starts with 0');
    expect(check.check(Buffer.from([0, 1]))).toBe('starts with 0');
    expect(check.check(Buffer.from([1, 1]))).toBeUndefined();
    expect(check.check(Buffer.from([1, 1]))).toBeUndefined();
    expect(inner.calls).toBe(2);
  });

  it('checks a reply that differs from the last one, even by its length or a byte past the first', () => {
    const inner = countingCheck();
    const check = rememberLastVerdict(inner);
    check.check(Buffer.from([1, 2, 3]));
    check.check(Buffer.from([1, 2]));
    check.check(Buffer.from([1, 2, 4]));
    expect(inner.calls).toBe(3);
  });

  it('is not fooled by a buffer the caller reuses after the check', () => {
    const inner = countingCheck();
    const check = rememberLastVerdict(inner);
    const reused = Buffer.from([1, 2]);
    expect(check.check(reused)).toBeUndefined();
    reused[0] = 0;
    expect(check.check(reused)).toBe('starts with 0');
    expect(inner.calls).toBe(2);
  });
});
