import { describe, expect, it } from 'vitest';
import { runLoadTest } from '../../loadtest/engine.js';
import { silentServers } from '../support/silent-servers.js';
import { echoRequest, options, TS_NODE_FLAGS } from '../unit/loadtest/support.js';

/**
 * Every run ends: against a server that takes the requests and never answers, a run lasts its duration, then
 * cancels what is still in flight at each request's --timeout; a load thread that dies says so.
 */

const silent = silentServers();
const elapsedMs = (summary: { startedAt: string; finishedAt: string }): number =>
  Date.parse(summary.finishedAt) - Date.parse(summary.startedAt);

describe('a load test against a server that never answers', () => {
  it.each([
    ['grpc', 'raw', '0'],
    ['grpc', 'node', '0'],
    ['grpc', 'raw', '1'],
    ['rest', 'raw', '0'],
  ])(
    'over %s (--h2 %s, --workers %s) ends after its duration and --timeout, each request a timeout',
    async (protocol, h2, workers) => {
      const server = protocol === 'grpc' ? await silent.http2() : await silent.http1();
      const summary = await runLoadTest(
        options({
          target: `127.0.0.1:${server.port}`,
          protocol,
          h2,
          workers,
          rate: '10',
          duration: '1s',
          timeout: '1s',
          // The run is about the drain: a stop on the first second's failures would end it before.
          'stop-on-failure-ratio': '1',
        }),
        { prepare: echoRequest, outputs: [], workerExecArgv: TS_NODE_FLAGS },
      );
      expect(summary.requests).toMatchObject({ total: 10, failed: 10 });
      expect(summary.failures).toEqual([{ code: 'timeout', count: 10, sample: 'no reply within 1000 ms' }]);
      // Its last request leaves at 0.9 s and is cancelled at 1.9 s; the rest is closing, with room for a slow machine.
      expect(elapsedMs(summary)).toBeGreaterThanOrEqual(1900);
      expect(elapsedMs(summary)).toBeLessThan(10_000);
    },
  );

  it('fails, naming the thread, when a load thread exits without a word', async () => {
    const server = await silent.http2();
    const run = runLoadTest(options({ target: `127.0.0.1:${server.port}`, rate: '10', duration: '1s', workers: '1' }), {
      prepare: echoRequest,
      outputs: [],
      workerExecArgv: [...TS_NODE_FLAGS, '--import', 'data:text/javascript,process.exit(7)'],
    });
    await expect(run).rejects.toThrow('load thread 0 exited (code 7) before it finished');
  });
});
