import { describe, expect, it } from 'vitest';
import { buildSummary } from '../../../loadtest/build-summary.js';
import { requestSample } from '../../../loadtest/sample.js';
import { SelfMonitor } from '../../../loadtest/self-monitor.js';
import { Aggregate } from '../../../loadtest/stats/aggregate.js';
import { Recorder } from '../../../loadtest/stats/recorder.js';
import { options } from './support.js';

const ok = { ok: true, code: 'OK', bytesSent: 10, bytesReceived: 4 };

function summaryOf(values: Record<string, string>, modelVersion?: number) {
  const recorder = new Recorder(0, 0);
  // 1000 requests ending in second 0, of 0.9 to 900 ms: p99.9 is the 999th, 899.1 ms, and max 900 ms.
  for (let i = 1; i <= 1000; i++) recorder.record(requestSample(ok, 0, i * 0.9, false));
  const aggregate = new Aggregate();
  aggregate.add(recorder.drain());
  return buildSummary({
    options: options({ target: '127.0.0.1:8500', rate: '10', duration: '2s', ...values }),
    description: 'open',
    aggregate,
    targetAt: () => 10,
    startMs: 0,
    endMs: 2000,
    startedAt: new Date(0).toISOString(),
    stopped: null,
    health: new SelfMonitor(0, 2),
    ...(modelVersion !== undefined ? { modelVersion } : {}),
  });
}

describe('buildSummary', () => {
  it('gives each second its p99.9 and max', () => {
    const [second] = summaryOf({}).series;
    expect(second).toMatchObject({ second: 0, requests: 1000, max: 900 });
    expect(second!['p99.9']).toBeCloseTo(899.1, 0);
    expect(second!.p99).toBeCloseTo(891, 0);
  });

  it('records the deployment it was given and the version the server reported', () => {
    const deployment = { scenario: 's', arm: 'release', runId: 'r', image: 'i@sha256:1', model: 'resnet' };
    const summary = summaryOf({ deployment: JSON.stringify(deployment) }, 7);
    expect(summary.deployment).toEqual(deployment);
    expect(summary.target.version).toBe(7);
    expect(summaryOf({ version: '3' }, 7).target.version).toBe(3);
    expect('deployment' in summaryOf({})).toBe(false);
  });
});
