import { describe, expect, it } from 'vitest';
import { runLoadTest } from '../../loadtest/engine.js';
import { echoRequest, echoServers, options, TS_NODE_FLAGS } from '../unit/loadtest/support.js';

const startServer = echoServers();

describe('worker threads', () => {
  it('split the plan between threads and merge their histograms into the one plan', async () => {
    const server = await startServer({ latencyMs: 10 });
    const summary = await runLoadTest(
      options({ target: `127.0.0.1:${server.grpcPort}`, rate: '300', duration: '1s', workers: '2', channels: '2' }),
      { prepare: echoRequest, workerExecArgv: TS_NODE_FLAGS },
    );
    expect(summary.generator.workers).toBe(2);
    expect(summary.requests.total).toBe(300);
    expect(server.received()).toBe(300);
    expect(summary.latencyMs.count).toBe(300);
    expect(summary.latencyMs.p50).toBeGreaterThanOrEqual(8.5);
    expect(summary.latencyMs.p50).toBeLessThan(20);
  });
});
