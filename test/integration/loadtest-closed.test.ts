import { describe, expect, it } from 'vitest';
import { runLoadTest } from '../../loadtest/engine.js';
import { echoRequest, echoServers, options } from '../unit/loadtest/support.js';

const startServer = echoServers();

describe('closed model against a server of known latency', () => {
  it('runs N users, spawned at the spawn rate, each waiting for its reply and thinking', async () => {
    const server = await startServer({ latencyMs: 50 });
    const summary = await runLoadTest(
      options({
        target: `127.0.0.1:${server.grpcPort}`,
        users: '4',
        'spawn-rate': '10',
        'think-time': '100ms',
        duration: '2s',
      }),
      { prepare: echoRequest },
    );
    // User k starts at k·100 ms and loops every 150 ms (+ timer slack) until 2 s: 14 + 13 + 12 + 12 = 51 at most.
    expect(summary.requests.total).toBeLessThanOrEqual(51);
    expect(summary.requests.total).toBeGreaterThanOrEqual(44);
    expect(server.maxConcurrent()).toBeLessThanOrEqual(4);
    expect(summary.latencyMs.p50).toBeGreaterThanOrEqual(48.5);
    expect(summary.latencyMs.p50).toBeLessThan(58);
    expect(summary.series.map((p) => p.target)).toEqual(summary.series.map((p) => Math.min(4, p.second * 10 + 1)));
  });

  it('counts failures by gRPC status with a sample message', async () => {
    const server = await startServer({ failEvery: 4 });
    const summary = await runLoadTest(
      options({
        target: `127.0.0.1:${server.grpcPort}`,
        users: '2',
        'spawn-rate': '100',
        'think-time': '10ms',
        duration: '1s',
      }),
      { prepare: echoRequest },
    );
    expect(summary.requests.failed).toBe(Math.floor(server.received() / 4));
    expect(summary.failures).toEqual([
      { code: 'grpc 14 UNAVAILABLE', count: summary.requests.failed, sample: 'echo server unavailable' },
    ]);
  });
});
