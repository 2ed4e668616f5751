import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { encodePredictResponse } from '../../shared/tfserving/codec.js';
import { distPath } from '../../shared/paths.js';
import { echoServers } from '../unit/loadtest/support.js';

const echoServer = echoServers();
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/**
 * A load test stopped by a signal: Ctrl-C (SIGINT) at a terminal, or SIGTERM, which Cloud Run sends a job task it
 * cancels or times out, 10 s before SIGKILL. Either stops the load, and what was measured is printed and written.
 */
describe('modelship loadtest, stopped by a signal', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('stops at %s and writes what it measured', async (signal) => {
    const reply = encodePredictResponse({ outputs: { y: { dtype: 'DT_FLOAT', shape: [1, 1], floatVal: [1] } } });
    const server = await echoServer({
      reply,
      tfServing: {
        model: 'm',
        signatures: {
          serving_default: {
            name: 'serving_default',
            methodName: 'tensorflow/serving/predict',
            inputs: { x: { name: 'x', dtype: 'DT_FLOAT', shape: [-1, 2] } },
            outputs: { y: { name: 'y', dtype: 'DT_FLOAT', shape: [-1, 1] } },
          },
        },
      },
    });
    const out = await mkdtemp(join(tmpdir(), 'loadtest-interrupt-'));
    dirs.push(out);
    const args = ['--target', `127.0.0.1:${server.grpcPort}`, '--model', 'm', '--workers', '1', '--rate', '200'];
    const child = spawn(process.execPath, [
      distPath('cli/main.js'),
      'loadtest',
      ...args,
      '--duration',
      '5m',
      '--progress',
      'off',
      '--out',
      out,
    ]);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Signalled once the load is under way: 100 Predicts received.
    await vi.waitFor(() => expect(server.received()).toBeGreaterThan(100), { timeout: 20_000, interval: 20 });
    child.kill(signal);
    expect(await exited).toBe(1);
    expect(stdout).toMatch(/stopped early: interrupted\nFAILED/);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ stopped: 'interrupted', passed: false });
    expect(summary.requests.total).toBeGreaterThan(50);
    await expect(readFile(join(out, 'report.html'), 'utf8')).resolves.toContain('interrupted');
  });
});
