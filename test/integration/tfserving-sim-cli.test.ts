import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { tfsSimCommand } from '../../cli/commands/tfs-sim.js';
import { createTfServingClient, writeFixtureSavedModel } from '../../shared/tfserving/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tfs-sim-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
  return { out, err };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('modelship tfs-sim', () => {
  it('prints one serving line once AVAILABLE, serves, and stops cleanly on SIGTERM', async () => {
    const { basePath } = await writeFixtureSavedModel(dir, { modelName: 'resnet' });
    const { out, err } = capture();
    const exit = tfsSimCommand.run([
      '--model_name=resnet',
      `--model_base_path=${basePath}`,
      '--port',
      '0',
      '--enable_model_warmup=true',
    ]);
    await vi.waitFor(() => expect(out).toHaveLength(1), { timeout: 10_000 });
    const match = /^tfs-sim: serving model 'resnet' version 1 on gRPC 127\.0\.0\.1:(\d+), REST off \(simulated\)$/.exec(
      out[0] ?? '',
    );
    expect(match).not.toBeNull();
    const client = createTfServingClient({ target: `127.0.0.1:${match![1]}` });
    const status = await client.getModelStatus({ name: 'resnet' });
    client.close();
    expect(status.modelVersionStatus[0]?.state).toBe('AVAILABLE');
    process.emit('SIGTERM');
    expect(await exit).toBe(0);
    expect(err).toContain('W tfs-sim: --enable_model_warmup is accepted but not simulated');
    expect(err).toContain('I tfs-sim: model resnet version 1: END');
  });

  it('keeps its ports closed while the base path has no version directory, as TF Serving', async () => {
    const base = join(dir, 'empty');
    await mkdir(base);
    const port = await freePort();
    const { out, err } = capture();
    const exit = tfsSimCommand.run([
      '--model_name=m',
      `--model_base_path=${base}`,
      `--port=${port}`,
      '--file_system_poll_wait_seconds=1',
    ]);
    await vi.waitFor(() => expect(err.join('\n')).toContain('No versions of servable m found under base path'), {
      timeout: 10_000,
    });
    expect(await accepts(port)).toBe(false);
    process.emit('SIGINT');
    expect(await exit).toBe(0);
    expect(out).toEqual([]);
  });

  it('exits 1 with the load error for a broken version directory', async () => {
    const base = join(dir, 'broken');
    await mkdir(join(base, '4'), { recursive: true });
    const { err } = capture();
    const exit = await tfsSimCommand.run(['--model_name=broken', `--model_base_path=${base}`, '--port=0']);
    expect(exit).toBe(1);
    expect(err.join('\n')).toContain(
      'E tfs-sim: Loading servable: {name: broken version: 4} failed: SavedModel file does not exist at:',
    );
  });
});
