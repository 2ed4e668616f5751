import { describe, expect, it } from 'vitest';
import { loadTestOptions, optionsHelp } from '../../../loadtest/options.js';
import type { ConfigError } from '../../../shared/errors.js';

const run = { target: '127.0.0.1:8500', rate: '10', duration: '10s' };
const search = { ...run, 'find-capacity': true, 'p99-bound': '200ms' };

describe('--stop-on-failure-ratio', () => {
  it('is 0.2 unless given, from the args or the environment, and says so in the help', () => {
    expect(loadTestOptions(run).stopOnFailureRatio).toBe(0.2);
    expect(loadTestOptions({ ...run, 'stop-on-failure-ratio': '0.5' }).stopOnFailureRatio).toBe(0.5);
    expect(loadTestOptions(run, { MODELSHIP_STOP_ON_FAILURE_RATIO: '1' }).stopOnFailureRatio).toBe(1);
    expect(optionsHelp()).toMatch(/^ {2}--stop-on-failure-ratio V +stop and fail when .* \[0\.2\]$/m);
  });

  it('leaves a capacity search to judge its probes by --errors-bound, unless given', () => {
    expect(loadTestOptions(search).stopOnFailureRatio).toBeUndefined();
    expect(loadTestOptions({ ...search, 'stop-on-failure-ratio': '0.5' }).stopOnFailureRatio).toBe(0.5);
    expect(loadTestOptions(search, { MODELSHIP_STOP_ON_FAILURE_RATIO: '0.3' }).stopOnFailureRatio).toBe(0.3);
  });
});

describe('the limits of a load test', () => {
  const problems = (values: Record<string, string | boolean>): readonly string[] => {
    try {
      loadTestOptions(values);
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };
  const users = { target: '127.0.0.1:8500', users: '10', duration: '10s' };

  it.each([
    [{ ...users, users: '10001' }, "--users: expected at most 10000, found '10001'"],
    [{ ...users, duration: '24h1s' }, "--duration: expected at most 24h, found '24h1s'"],
    [{ ...run, rate: '1000001' }, "--rate: expected at most 1000000, found '1000001'"],
    [{ ...run, 'max-in-flight': '100001' }, "--max-in-flight: expected at most 100000, found '100001'"],
    [{ ...run, timeout: '11m' }, "--timeout: expected at most 10m, found '11m'"],
    [{ ...run, 'connect-timeout': '2h' }, "--connect-timeout: expected at most 1h, found '2h'"],
    [{ ...run, channels: '1001' }, "--channels: expected at most 1000, found '1001'"],
    [{ ...run, workers: '257' }, "--workers: expected at most 256, found '257'"],
    [{ ...run, batch: '1025' }, "--batch: expected at most 1024, found '1025'"],
    [{ ...search, 'max-probes': '21' }, "--max-probes: expected at most 20, found '21'"],
    [{ target: '127.0.0.1:8500', stages: '12h:10,12h1s:10' }, '--stages: expected at most 24h in all, found 86401s'],
    [
      { target: '127.0.0.1:8500', stages: '1m:10,1m:1000001' },
      "--stages: expected rates of at most 1000000 req/s, found '1m:10,1m:1000001'",
    ],
    [
      { ...search, duration: '4h', 'max-probes': '7' },
      '--max-probes: expected probes of --duration lasting at most 24h in all, found 7 x 240m',
    ],
  ])('refuses %j', (values, problem) => {
    expect(problems(values)).toEqual([problem]);
  });

  it('accepts the limits themselves, and says them in the help', () => {
    const accepted: Record<string, string | boolean>[] = [
      { ...users, users: '10000', duration: '24h' },
      { ...search, duration: '3h', 'max-probes': '8', rate: '1000000', 'max-in-flight': '100000' },
      { target: '127.0.0.1:8500', stages: '12h:10,12h:1000000', timeout: '10m', 'connect-timeout': '1h' },
    ];
    for (const values of accepted) expect(problems(values)).toEqual([]);
    expect(optionsHelp()).toMatch(/^ {2}--duration V +how long to run .* \(at most 24h\)$/m);
    expect(optionsHelp()).toMatch(/^ {2}--users V +closed model: .* \(at most 10000\)$/m);
  });
});

describe('--deployment', () => {
  const deployment = { scenario: 's', arm: 'baseline', runId: 'r', image: 'i@sha256:1', model: 'resnet' };
  const problemsOf = (text: string): readonly string[] => {
    try {
      loadTestOptions({ ...run, deployment: text });
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };

  it('is read from the environment the pipeline sets, as JSON', () => {
    const env = { MODELSHIP_DEPLOYMENT: JSON.stringify(deployment) };
    expect(loadTestOptions(run, env).deployment).toEqual(deployment);
    expect(loadTestOptions(run).deployment).toBeUndefined();
  });

  it('says what is wrong with it', () => {
    expect(problemsOf('{')).toEqual([expect.stringMatching(/^--deployment: expected JSON, found '\{'/)]);
    expect(
      problemsOf(JSON.stringify({ ...deployment, runId: 4, arm: 'x', parameters: { machineType: 'n2' } })),
    ).toEqual(
      expect.arrayContaining([
        '--deployment: runId: expected a string',
        '--deployment: arm: expected release or baseline',
        '--deployment: parameters.replicas: expected a number',
      ]),
    );
  });
});
