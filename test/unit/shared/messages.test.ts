import { describe, expect, it } from 'vitest';
import { MessageError } from '../../../shared/errors.js';
import { LoadTestRequested, parseMessage, type LoadTestRequested as Request } from '../../../shared/messages.js';

const request: Request = {
  type: 'LoadTestRequested',
  version: 1,
  runId: '20261206-170000-abcdef',
  scenario: '2n-8c-16r-interop4',
  image: `r/m@sha256:${'a'.repeat(64)}`,
  target: '10.0.0.7:8500',
  modelName: 'resnet',
  profile: { users: 150, spawnRate: 1, thinkTimeMs: 1000, durationS: 300, thresholds: ['errors<1%'] },
};
const parse = (m: unknown) => parseMessage(LoadTestRequested, m, 'LoadTestRequested');

describe('load test messages', () => {
  it('accepts the endpoints a deploy records: host:port, [ipv6]:port, dns:///name:port', () => {
    for (const target of ['10.0.0.7:8500', '[fd00::7]:8500', 'dns:///tfs-server-headless:8500']) {
      expect(parse({ ...request, target }).target).toBe(target);
    }
  });

  it.each(['--help', '-x:1', '10.0.0.7', 'http://10.0.0.7:8500', '10.0.0.7:8500 --rate 1', ''])(
    'refuses the target %j, which the job could read as a flag or not reach as gRPC',
    (target) => {
      expect(() => parse({ ...request, target })).toThrow(MessageError);
      expect(() => parse({ ...request, target })).toThrow(/target: host:port or dns:\/\/\/host:port/);
    },
  );

  it.each([
    [{ durationS: 100_000_000 }, /profile\.durationS: the duration \(s\), a day, must be at most 86400/],
    [{ users: 1_000_000 }, /profile\.users: users must be at most 10000/],
    [{ rate: 1e9 }, /profile\.rate: requests per second must be at most 100000/],
    [{ thresholds: Array.from({ length: 21 }, () => 'errors<1%') }, /profile\.thresholds/],
  ])('refuses a profile beyond its bounds, naming the bound: %j', (profile, says) => {
    expect(() => parse({ ...request, profile: { ...request.profile, ...profile } })).toThrow(says);
  });
});
