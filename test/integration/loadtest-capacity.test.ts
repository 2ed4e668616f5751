import { describe, expect, it } from 'vitest';
import { runLoadTestJob } from '../../loadtest/job.js';
import type { Output } from '../../loadtest/outputs/output.js';
import type { Summary } from '../../loadtest/summary.js';
import { echoRequest, echoServers, TS_NODE_FLAGS } from '../unit/loadtest/support.js';

const startServer = echoServers();

/** Runs `modelship loadtest --find-capacity ...` in-process and returns the summary its outputs were given. */
async function findCapacity(values: Record<string, string | boolean>): Promise<{ code: number; summary: Summary }> {
  let summary: Summary | undefined;
  const capture: Output = { start: () => undefined, add: () => undefined, stop: async (s) => void (summary = s) };
  const code = await runLoadTestJob(
    { workers: '0', progress: 'off', 'find-capacity': true, ...values },
    {},
    { prepare: echoRequest, outputs: [capture], workerExecArgv: TS_NODE_FLAGS },
  );
  return { code, summary: summary! };
}

describe('--find-capacity', () => {
  it('finds the capacity of a server of known capacity within 0.9-1.02x, in at most 8 probes', async () => {
    // 4 workers x 20 ms: exactly 200 req/s; 40 may wait, the rest are refused at once.
    const server = await startServer({ workers: { count: 4, serviceMs: 20, queue: 40 } });
    const truth = 200;
    const { code, summary } = await findCapacity({
      target: `127.0.0.1:${server.grpcPort}`,
      // The generator in a worker thread: the server's timers, on this thread, do not delay its sends.
      workers: '1',
      rate: '75',
      duration: '5s',
      warmup: '1s',
      'p99-bound': '60ms',
    });
    const capacity = summary.capacity!;
    expect(capacity.limit, capacity.verdict).toBe('server');
    expect(code).toBe(0);
    expect(capacity.probes.length).toBeLessThanOrEqual(8);
    expect(capacity.rps! / truth).toBeGreaterThanOrEqual(0.9);
    expect(capacity.rps! / truth).toBeLessThanOrEqual(1.02);
    // The summary is the probe that stands for the capacity, and a rate over the truth was tried and failed.
    expect(summary.requests.rps).toBe(capacity.rps);
    expect(capacity.probes.some((p) => !p.passed && p.rps > truth)).toBe(true);
  }, 120_000);

  it('marks a probe the generator could not send as invalid, and names the generator as the limit', async () => {
    const server = await startServer({ workers: { count: 1000, serviceMs: 1, queue: 1000 } });
    const { code, summary } = await findCapacity({
      target: `127.0.0.1:${server.grpcPort}`,
      // A million requests a second from one thread that also runs the server: far beyond what it can send.
      rate: '1000000',
      duration: '200ms',
      'max-in-flight': '100',
      'p99-bound': '1s',
    });
    const capacity = summary.capacity!;
    // Tried twice (a stall of the machine could explain one), invalid both times.
    expect(capacity.probes).toHaveLength(2);
    expect(capacity.probes.every((p) => !p.valid && p.rps === 1_000_000)).toBe(true);
    expect(capacity.limit).toBe('generator');
    expect(capacity.rps).toBeNull();
    expect(capacity.verdict).toContain('the generator, not the server, was the limit');
    expect(code).toBe(1);
  }, 60_000);
});
