import { describe, expect, it } from 'vitest';
import { runLoadTest } from '../../loadtest/engine.js';
import { echoRequest, echoServers, options, percentile } from '../unit/loadtest/support.js';

const startServer = echoServers();

describe('open model against a server of known latency', () => {
  it('sends every scheduled request and measures the server latency', async () => {
    const server = await startServer({ latencyMs: 20 });
    const summary = await runLoadTest(
      options({ target: `127.0.0.1:${server.grpcPort}`, rate: '200', duration: '2s' }),
      {
        prepare: echoRequest,
      },
    );
    expect(summary.requests.total).toBe(400);
    expect(server.received()).toBe(400);
    expect(summary.requests.failed).toBe(0);
    expect(summary.requests.dropped).toBe(0);
    // Node timers may fire up to ~1.5 ms early against performance.now().
    expect(summary.latencyMs.min).toBeGreaterThanOrEqual(18.5);
    expect(summary.latencyMs.p50).toBeLessThan(20 + 8);
    expect(summary.requests.rps).toBeGreaterThan(190);
    expect(summary.requests.rps).toBeLessThan(210);
  });

  it('measures stalls from the intended send time: percentiles match the truth of the schedule', async () => {
    const server = await startServer({ latencyMs: 5, stall: { everyMs: 1000, forMs: 300 } });
    const rate = 200;
    const summary = await runLoadTest(
      options({ target: `127.0.0.1:${server.grpcPort}`, rate: String(rate), duration: '2s' }),
      {
        prepare: echoRequest,
      },
    );
    const serverStartEpoch = performance.timeOrigin + server.startedAt;
    const startEpoch = Date.parse(summary.startedAt);
    const truth = Array.from({ length: 2 * rate }, (_, n) =>
      server.latencyAt(startEpoch + (n * 1000) / rate - serverStartEpoch),
    );
    expect(summary.requests.total).toBe(2 * rate);
    for (const [name, p] of [
      ['p50', 50],
      ['p90', 90],
      ['p99', 99],
    ] as const) {
      const expected = percentile(truth, p);
      expect(summary.latencyMs[name]).toBeGreaterThanOrEqual(expected * 0.9 - 2);
      expect(summary.latencyMs[name]).toBeLessThanOrEqual(expected * 1.1 + 6);
    }
  });

  it('caps requests in flight and counts the dropped ones', async () => {
    const server = await startServer({ latencyMs: 200 });
    const summary = await runLoadTest(
      options({ target: `127.0.0.1:${server.grpcPort}`, rate: '100', duration: '1s', 'max-in-flight': '5' }),
      { prepare: echoRequest },
    );
    expect(server.maxConcurrent()).toBeLessThanOrEqual(5);
    expect(summary.requests.total + summary.requests.dropped).toBe(100);
    expect(summary.requests.total).toBeLessThanOrEqual(30);
    expect(summary.requests.dropped).toBeGreaterThanOrEqual(70);
  });
});
