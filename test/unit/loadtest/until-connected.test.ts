import { describe, expect, it } from 'vitest';
import { ModelshipError } from '../../../shared/errors.js';
import { TfServingError } from '../../../shared/tfserving/tfserving-error.js';
import { parseTarget, type Target } from '../../../loadtest/senders/target.js';
import { mayPassOnItsOwn, untilConnected } from '../../../loadtest/until-connected.js';

const target = parseTarget('10.0.0.7:8500') as Target;
const refused = (): Error =>
  new ModelshipError('target 10.0.0.7:8500 (10.0.0.7): could not connect over HTTP/2: connect ECONNREFUSED', {
    cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:8500'), { code: 'ECONNREFUSED' }),
  });
const call = { method: 'GetModelMetadata', target: '10.0.0.7:8500', modelSpec: { name: 'resnet' } };

/** A clock that only moves when the code under test sleeps: the waits are counted, never slept. */
function fakeTime() {
  let t = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms: number) => {
      slept.push(ms);
      t += ms;
    },
  };
}

describe('the first call, until the target can be reached', () => {
  it('tells connection failures, no answer in time and UNAVAILABLE from answers that will not change', () => {
    expect(mayPassOnItsOwn(refused())).toBe(true);
    for (const code of ['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET'])
      expect(mayPassOnItsOwn(Object.assign(new Error(code), { code }))).toBe(true);
    expect(mayPassOnItsOwn(new TfServingError(call, 'UNAVAILABLE', 'connections refused'))).toBe(true);
    expect(mayPassOnItsOwn(new TfServingError(call, 'timeout', 'no reply within 2000 ms'))).toBe(true);
    expect(mayPassOnItsOwn(new TfServingError(call, 'NOT_FOUND', 'no model resnet'))).toBe(false);
    expect(mayPassOnItsOwn(Object.assign(new Error('x'), { code: 'ENOTFOUND' }))).toBe(false);
    expect(mayPassOnItsOwn('ECONNREFUSED')).toBe(false);
  });

  it('retries with a doubling wait, logging each, and returns the first answer', async () => {
    const time = fakeTime();
    const lines: string[] = [];
    let calls = 0;
    const answer = await untilConnected(
      async () => {
        calls += 1;
        if (calls < 5) throw refused();
        return 'signatures';
      },
      { target, deadlineMs: 120_000, attemptMs: 30_000, log: (l) => lines.push(l), ...time },
    );
    expect(answer).toBe('signatures');
    expect(time.slept).toEqual([500, 1000, 2000, 4000]);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(
      'waiting for 10.0.0.7:8500: attempt 1 failed (target 10.0.0.7:8500 (10.0.0.7): could not connect over HTTP/2: connect ECONNREFUSED); next in 0.5 s, 0.0 s of 120.0 s spent',
    );
  });

  it('gives up when the next wait would pass the deadline, naming the target and the last error', async () => {
    const time = fakeTime();
    const failing = untilConnected(
      async () => {
        throw refused();
      },
      { target, deadlineMs: 120_000, attemptMs: 30_000, log: () => undefined, ...time },
    );
    await expect(failing).rejects.toThrow(
      /^target 10\.0\.0\.7:8500 did not answer within --connect-timeout 120\.0 s \(19 attempts, each connection and call within --timeout 30\.0 s\); last error: .*ECONNREFUSED.*\(check that TF Serving is up at that address/,
    );
    // 0.5 + 1 + 2 + 4 + 8 × 14 s: the waits stay within the deadline, at most 8 s apart.
    expect(time.slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(120_000);
    expect(Math.max(...time.slept)).toBe(8000);
  });

  it('tries once with no deadline, and never retries an answer such as NOT_FOUND', async () => {
    const time = fakeTime();
    await expect(
      untilConnected(
        async () => {
          throw refused();
        },
        { target, deadlineMs: 0, attemptMs: 30_000, log: () => undefined, ...time },
      ),
    ).rejects.toThrow(/within --connect-timeout 0\.0 s \(1 attempt, each/);
    let calls = 0;
    await expect(
      untilConnected(
        async () => {
          calls += 1;
          throw new TfServingError(call, 'NOT_FOUND', 'no model');
        },
        { target, deadlineMs: 120_000, attemptMs: 30_000, log: () => undefined, ...time },
      ),
    ).rejects.toBeInstanceOf(TfServingError);
    expect(calls).toBe(1);
    expect(time.slept).toEqual([]);
  });
});
