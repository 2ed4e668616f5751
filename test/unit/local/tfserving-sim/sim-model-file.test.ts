import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSimOptions, SimStartError, startTfServingSim } from '../../../../local/tfserving-sim/index.js';
import {
  createTfServingClient,
  readSimModelFile,
  SIM_MODEL_FILE,
  writeFixtureSavedModel,
} from '../../../../shared/tfserving/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tfs-sim-model-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function broken(name: string, text: string): Promise<string> {
  const { versionPath } = await writeFixtureSavedModel(join(dir, name));
  await mkdir(join(versionPath, 'assets.extra'), { recursive: true });
  await writeFile(join(versionPath, SIM_MODEL_FILE), text);
  return versionPath;
}

describe('assets.extra/tfs-sim.json', () => {
  it('is written by the fixture generator on request, and absent otherwise', async () => {
    const slow = await writeFixtureSavedModel(join(dir, 'slow'), { simSlowdown: 1.1 });
    const plain = await writeFixtureSavedModel(join(dir, 'plain'));
    expect(await readSimModelFile(slow.versionPath)).toEqual({ slowdown: 1.1 });
    expect(await readSimModelFile(plain.versionPath)).toBeUndefined();
  });

  it('is refused when it is not what the simulator reads, with a hint', async () => {
    await expect(readSimModelFile(await broken('not-json', '{slowdown: 2'))).rejects.toThrow(
      /tfs-sim\.json is not JSON: .*\(write \{"slowdown": 1\.1\}/,
    );
    await expect(readSimModelFile(await broken('negative', '{"slowdown": -1}'))).rejects.toThrow(
      /tfs-sim\.json: slowdown: a positive factor such as 1\.1/,
    );
    await expect(readSimModelFile(await broken('unknown', '{"cpuMsPerExample": 88}'))).rejects.toThrow(
      /tfs-sim\.json: .*Unrecognized key: "cpuMsPerExample".*the only field is "slowdown"/,
    );
  });

  it('slows the model down in the simulator, and the simulator says so', async () => {
    const { basePath } = await writeFixtureSavedModel(join(dir, 'served'), { modelName: 'resnet', simSlowdown: 3 });
    const options = await resolveSimOptions({ model_name: 'resnet', model_base_path: basePath, load_time_ms: '0' });
    const lines: string[] = [];
    const sim = await startTfServingSim({ ...options, port: 0, fixedLatencyMs: 100 }, { log: (l) => lines.push(l) });
    const client = createTfServingClient({ target: `127.0.0.1:${sim.grpcPort}` });
    try {
      const request = {
        modelSpec: { name: 'resnet' },
        inputs: { image_input: { dtype: 'DT_FLOAT' as const, shape: [1, 224, 224, 3], floatVal: [0] } },
      };
      await client.predict(request); // warm the connection
      const started = performance.now();
      await client.predict(request);
      // Timers never fire early: 300 ms is the slowed fixed latency (100 ms unslowed).
      expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    } finally {
      client.close();
      await sim.stop();
    }
    expect(lines).toContain(
      'I tfs-sim: model resnet version 1: assets.extra/tfs-sim.json slows it down 3x (300 ms per session run)',
    );
    const cost = await startTfServingSim({ ...options, port: 0 }, { log: (l) => lines.push(l) });
    await cost.stop();
    expect(lines).toContain(
      'I tfs-sim: model resnet version 1: assets.extra/tfs-sim.json slows it down 3x (240 ms of CPU per example)',
    );
  });

  it('fails the load of a model whose file is broken, as a broken model does', async () => {
    const versionPath = await broken('bad', '{"slowdown": 0}');
    const options = await resolveSimOptions({
      model_name: 'resnet',
      model_base_path: join(versionPath, '..'),
      load_time_ms: '0',
    });
    const states: string[] = [];
    const error = await startTfServingSim({ ...options, port: 0 }, { onState: (_v, s) => states.push(s) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SimStartError);
    expect((error as Error).message).toMatch(
      /^Loading servable: \{name: resnet version: 1\} failed: .*tfs-sim\.json: slowdown/,
    );
    expect(states).toEqual(['START', 'LOADING', 'END']);
  });
});
