import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeBooleanFlags, resolveSimOptions } from '../../../../local/tfserving-sim/options.js';

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
