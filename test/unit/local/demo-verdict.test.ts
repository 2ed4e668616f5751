import { describe, expect, it } from 'vitest';
import { demoVerdict } from '../../../local/demo-verdict.js';
import type { RunRecord } from '../../../shared/store.js';

const A = 'registry/serving@sha256:aaa';
const B = 'registry/serving@sha256:bbb';
const run = (fields: Partial<RunRecord>): RunRecord => ({
  runId: 'r',
  status: 'succeeded',
  createdAt: '',
  updatedAt: '',
  stages: {},
  ...fields,
});
const promoted = run({
  tag: 'v1.0.0',
  promotion: { status: 'promoted', scenario: 's', image: A, reason: 'best', requestedBy: 'pipeline', at: '' },
});
const refused = run({
  tag: 'v1.1.0',
  status: 'failed',
  failure: { stage: 'promote', reason: 'no candidate passed the gate (1 measured)' },
  promotion: {
    status: 'none',
    scenario: null,
    reason: 'no candidate passed the gate',
    requestedBy: 'pipeline',
    at: '',
  },
});

describe('demoVerdict', () => {
  it('passes when the first release is promoted, the second refused, and the first still serves', () => {
    expect(demoVerdict([promoted, refused], A)).toEqual({
      ok: true,
      line: expect.stringMatching(
        /^✓ demo: v1\.0\.0 promoted; v1\.1\.0, slower, refused by the gate .* still runs registry/,
      ),
    });
  });

  it.each([
    ['the first was not promoted', [run({ tag: 'v1.0.0' }), refused], A, /first release was not promoted/],
    ['the second did not run', [promoted], A, /second release did not run/],
    ['the second was promoted', [promoted, { ...promoted, tag: 'v1.1.0' }], A, /not refused by the gate/],
    [
      'the second failed elsewhere',
      [promoted, run({ status: 'failed', failure: { stage: 'bake', reason: 'x' } })],
      A,
      /not refused by the gate \(failed at bake: x\)/,
    ],
    ['something else serves', [promoted, refused], B, /serving deployment runs .*bbb, not the first release's .*aaa/],
  ] as const)('fails, saying so, when %s', (_, runs, serving, says) => {
    const verdict = demoVerdict(runs, serving);
    expect(verdict.ok).toBe(false);
    expect(verdict.line).toMatch(says);
  });
});
