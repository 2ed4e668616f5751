import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cgroupCpuLimit, normalizeBooleanFlags, resolveSimOptions } from '../../../../local/tfserving-sim/options.js';

describe('tfs-sim options', () => {
  it('takes MODEL_NAME and MODEL_BASE_PATH as the TF Serving image entrypoint does, and auto threads = --cpus', async () => {
    const options = await resolveSimOptions({ cpus: '4' }, { MODEL_NAME: 'resnet', MODEL_BASE_PATH: '/models' });
    expect(options).toMatchObject({
      modelName: 'resnet',
      modelBasePath: '/models/resnet',
      port: 8500,
      restApiPort: undefined,
    });
    expect(options).toMatchObject({ cpus: 4, intraOp: 4, interOp: 4, batching: undefined, host: '127.0.0.1' });
  });

  it('reads the batching file only with --enable_batching, as TF Serving', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tfs-options-'));
    const file = join(dir, 'batching.txt');
    await writeFile(file, 'max_batch_size { value: 128 }\nnum_batch_threads { value: 2 }\n');
    const base = { model_name: 'm', model_base_path: dir };
    await expect(resolveSimOptions({ ...base, batching_parameters_file: file })).rejects.toThrow(
      'server_options.batching_parameters_file is set without setting server_options.enable_batching to true.',
    );
    const on = await resolveSimOptions({ ...base, enable_batching: 'true', batching_parameters_file: file });
    expect(on.batching).toMatchObject({ maxBatchSize: 128, numBatchThreads: 2 });
  });

  it('takes a fractional --cpus as a CPU limit does (7500m), with auto threads on the whole cores', async () => {
    const options = await resolveSimOptions({ cpus: '7.5', model_base_path: '/m' }, {});
    expect(options).toMatchObject({ cpus: 7.5, intraOp: 7, interOp: 7 });
  });

  it('lists every problem at once', async () => {
    const err = await resolveSimOptions({ port: 'x', cpus: '0', sim_stall_ms: '5', model_config_file: 'c' }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ name: 'ConfigError' });
    expect((err as { problems: string[] }).problems).toHaveLength(5);
  });

  it('turns bare boolean flags into --flag=true', () => {
    expect(normalizeBooleanFlags(['--enable_batching', '--port=1', '--enable_batching=false'])).toEqual([
      '--enable_batching=true',
      '--port=1',
      '--enable_batching=false',
    ]);
  });
});

describe('the default of --cpus: the cgroup CPU quota', () => {
  async function cgroup(files: Record<string, string>): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'tfs-cgroup-'));
    for (const [name, text] of Object.entries(files)) {
      await mkdir(dirname(join(root, name)), { recursive: true });
      await writeFile(join(root, name), text);
    }
    return root;
  }

  it('reads cgroup v2 cpu.max', async () => {
    expect(await cgroupCpuLimit(await cgroup({ 'cpu.max': '750000 100000\n' }))).toBe(7.5);
    expect(await cgroupCpuLimit(await cgroup({ 'cpu.max': 'max 100000\n' }))).toBeUndefined();
  });

  it('reads cgroup v1 cpu.cfs_quota_us over cpu.cfs_period_us, -1 being no quota', async () => {
    const quota = (us: string) => ({ 'cpu/cpu.cfs_quota_us': `${us}\n`, 'cpu/cpu.cfs_period_us': '100000\n' });
    expect(await cgroupCpuLimit(await cgroup(quota('50000')))).toBe(0.5);
    expect(await cgroupCpuLimit(await cgroup(quota('-1')))).toBeUndefined();
  });

  it('has no quota without cgroup files', async () => {
    expect(await cgroupCpuLimit(await cgroup({}))).toBeUndefined();
  });
});
