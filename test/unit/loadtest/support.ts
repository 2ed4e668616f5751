import { afterEach } from 'vitest';
import { loadTestOptions, type LoadTestOptions } from '../../../loadtest/options.js';
import { startEchoServer, type EchoServer, type EchoServerOptions } from '../../../loadtest/testing/echo-server.js';
import type { PreparedRequest } from '../../../loadtest/prepare.js';

/** Options as the command line would give them, against a local test server; workers 0 unless given. */
export function options(values: Record<string, string | string[]>): LoadTestOptions {
  return loadTestOptions({ workers: '0', progress: 'off', ...values });
}

/** A fixed request for the echo server, which answers any method. */
export const echoRequest = async (): Promise<PreparedRequest> => ({
  path: '/test.Echo/Call',
  body: new Uint8Array([10, 2, 104, 105]),
  outputs: [],
});

/** Exact percentile of a list (nearest rank), the truth the HDR figures are compared with. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** node flags that run the TypeScript sources (worker threads, `node cli/main.ts`). */
export const TS_NODE_FLAGS = ['--import', new URL('./ts-register.mjs', import.meta.url).href];

/** Starts echo servers that are stopped after each test of the calling file. */
export function echoServers(): (options?: EchoServerOptions) => Promise<EchoServer> {
  const started: EchoServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
  });
  return async (options) => {
    const server = await startEchoServer(options);
    started.push(server);
    return server;
  };
}
