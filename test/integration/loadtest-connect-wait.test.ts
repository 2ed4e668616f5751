import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runLoadTest } from '../../loadtest/engine.js';
import { resolveSimOptions, startTfServingSim, type TfServingSim } from '../../local/tfserving-sim/index.js';
import { writeFixtureSavedModel } from '../../shared/tfserving/index.js';
import { options } from '../unit/loadtest/support.js';

/**
 * A target that is not there yet, as from a Cloud Run job whose Direct VPC egress is still coming up: the first
 * call waits for it, before the clock starts, and gives up with a clear reason when it never comes.
 */

let dir: string;
let basePath: string;
const sims: TfServingSim[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadtest-connect-wait-'));
  ({ basePath } = await writeFixtureSavedModel(dir, { modelName: 'resnet' }));
});
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A loopback port nothing listens on: taken from the kernel, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startSim(port: number): Promise<TfServingSim> {
  const simOptions = await resolveSimOptions({
    model_name: 'resnet',
    model_base_path: basePath,
    cpus: '8',
    tensorflow_inter_op_parallelism: '4',
    load_time_ms: '10',
  });
  const sim = await startTfServingSim({ ...simOptions, port, restApiPort: 0, fixedLatencyMs: 2 });
  sims.push(sim);
  return sim;
}

describe('a load test whose target is not reachable yet', () => {
  it('waits for a TF Serving that starts late, then measures with no failed request', async () => {
    const port = await freePort();
    const lines: string[] = [];
    let started: Promise<TfServingSim> | undefined;
    const summary = await runLoadTest(
      options({ target: `127.0.0.1:${port}`, rate: '20', duration: '1s', 'connect-timeout': '30s' }),
      {
        outputs: [],
        // The server starts once the load test has been seen failing to connect and waiting.
        log: (line) => {
          lines.push(line);
          started ??= startSim(port);
        },
      },
    );
    await started;
    expect(lines[0]).toMatch(
      new RegExp(`^waiting for 127\\.0\\.0\\.1:${port}: attempt 1 failed \\(.*ECONNREFUSED.*\\); next in 0\\.5 s`),
    );
    expect(summary.requests.total).toBe(20);
    expect(summary.requests.failed).toBe(0);
    expect(summary.failures).toEqual([]);
  });

  it('fails after --connect-timeout, naming the target and the last error, when nothing ever listens', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const run = runLoadTest(
      options({ target: `127.0.0.1:${port}`, rate: '20', duration: '1s', 'connect-timeout': '1s' }),
      { outputs: [], log: (line) => lines.push(line) },
    );
    await expect(run).rejects.toThrow(
      new RegExp(
        `^target 127\\.0\\.0\\.1:${port} did not answer within --connect-timeout 1\\.0 s \\(2 attempts, each connection and call within --timeout 30\\.0 s\\); last error: .*ECONNREFUSED`,
      ),
    );
    expect(lines).toHaveLength(1);
  });
});
