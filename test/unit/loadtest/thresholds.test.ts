import { describe, expect, it } from 'vitest';
import { evaluateThresholds, parseThreshold, type Threshold } from '../../../loadtest/thresholds.js';

const facts = {
  latency: (stat: number | string) => ({ 99: 480, 50: 20, 99.9: 900, min: 1, mean: 30, max: 1200 })[stat as 99] ?? null,
  errors: 0.004,
  late: 0,
  dropped: 0.02,
  rps: 150,
  requests: 9000,
};

describe('thresholds', () => {
  it('parses metrics, operators and units', () => {
    expect(parseThreshold('p99<500ms')).toMatchObject({ metric: 'p99', op: '<', limit: 500 });
    expect(parseThreshold('p99.9 <= 1s')).toMatchObject({ metric: 'p99.9', op: '<=', limit: 1000 });
    expect(parseThreshold('mean<250us')).toMatchObject({ limit: 0.25 });
    expect(parseThreshold('errors<1%')).toMatchObject({ metric: 'errors', limit: 0.01 });
    expect(parseThreshold('errors<0.05')).toMatchObject({ limit: 0.05 });
    expect(parseThreshold('rps>100')).toMatchObject({ metric: 'rps', op: '>', limit: 100 });
  });

  it('says what is wrong with a bad threshold', () => {
    expect(parseThreshold('latency<5')).toMatch(/expected METRIC<VALUE.*metrics: pNN/);
    expect(parseThreshold('p99<fast')).toMatch(/'fast' is not a valid duration/);
    expect(parseThreshold('errors<150%')).toMatch(/not a valid ratio/);
    expect(parseThreshold('p0<5ms')).toMatch(/percentile must be in \(0, 100\]/);
  });

  it('passes and fails against the measured facts, and a latency with nothing measured fails', () => {
    const parse = (e: string) => parseThreshold(e) as Threshold;
    const results = evaluateThresholds(
      ['p99<500ms', 'p99.9<500ms', 'errors<1%', 'dropped<1%', 'rps>=150', 'p75<1s'].map(parse),
      facts,
    );
    expect(results.map((r) => [r.expression, r.actual, r.ok])).toEqual([
      ['p99<500ms', 480, true],
      ['p99.9<500ms', 900, false],
      ['errors<1%', 0.004, true],
      ['dropped<1%', 0.02, false],
      ['rps>=150', 150, true],
      ['p75<1s', null, false],
    ]);
  });
});
