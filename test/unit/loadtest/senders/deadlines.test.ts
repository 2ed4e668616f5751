import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Deadlines } from '../../../../loadtest/senders/deadlines.js';

describe('Deadlines', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('expires pending requests oldest first once their timeout passed, and never a cancelled one', () => {
    const deadlines = new Deadlines(1000);
    const expired: string[] = [];
    deadlines.add(() => expired.push('a'));
    vi.advanceTimersByTime(300);
    const cancelB = deadlines.add(() => expired.push('b'));
    deadlines.add(() => expired.push('c'));
    cancelB();
    vi.advanceTimersByTime(800);
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(300);
    expect(expired).toEqual(['a', 'c']);
    deadlines.close();
  });

  it('takes a cancel after the expiry, or twice, as nothing, and keeps the others in order', () => {
    const deadlines = new Deadlines(100);
    const expired: number[] = [];
    const cancels = [0, 1, 2, 3].map((n) => deadlines.add(() => expired.push(n)));
    cancels[2]!();
    cancels[2]!();
    cancels[0]!();
    vi.advanceTimersByTime(200);
    expect(expired).toEqual([1, 3]);
    cancels[1]!();
    const late = deadlines.add(() => expired.push(4));
    vi.advanceTimersByTime(200);
    expect(expired).toEqual([1, 3, 4]);
    late();
    deadlines.close();
  });

  it('expires nothing once closed', () => {
    const deadlines = new Deadlines(100);
    const expire = vi.fn();
    deadlines.add(expire);
    deadlines.add(expire);
    deadlines.close();
    vi.advanceTimersByTime(1000);
    expect(expire).not.toHaveBeenCalled();
  });
});
