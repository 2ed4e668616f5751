import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SEED_SIGNATURES, writeFixtureSavedModel } from '../../shared/tfserving/fixture-saved-model.js';
import { UsageError, parseOptions } from '../../shared/command-line.js';
import { type Command } from '../command.js';

const usage = `Usage: modelship fixture saved-model DIR [--slowdown N]

Writes the SavedModel the demo releases, so that you can try 'modelship local release --model DIR' without a model
of your own: DIR/1/saved_model.pb with the seed's ResNet50 signature (serving_default: image_input float32
[-1,224,224,3] → resnet50 float32 [-1,1000]) and placeholder variables. TF Serving and the simulator load its
signatures; it computes nothing (docs/tfserving.md). DIR must not exist or be empty.

Options:
  --slowdown N   the simulator runs this model N times as slowly as its ResNet-50 (assets.extra/tfs-sim.json)`;

export const fixtureCommand: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parseOptions(argv, { slowdown: { type: 'string' } }, true);
    const [kind, dir, ...extra] = positionals;
    if (kind !== 'saved-model') throw new UsageError(kind ? `unknown fixture '${kind}'` : 'which fixture: saved-model');
    if (!dir || extra.length) throw new UsageError('fixture saved-model takes exactly one DIR');
    const slowdown = values.slowdown === undefined ? undefined : Number(values.slowdown);
    if (slowdown !== undefined && !(slowdown > 0))
      throw new UsageError(`--slowdown must be a positive number, not '${values.slowdown}'`);
    const target = resolve(dir);
    const present = await readdir(target).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw new UsageError(`${target} cannot be used: ${err.code ?? err.message}`);
    });
    if (present.length) throw new UsageError(`${target} is not empty: give a new directory, so nothing is overwritten`);
    const model = await writeFixtureSavedModel(target, {
      version: 1,
      variablesBytes: 4096,
      ...(slowdown !== undefined ? { simSlowdown: slowdown } : {}),
    });
    console.log(
      `wrote a SavedModel to ${model.versionPath} (signature ${Object.keys(SEED_SIGNATURES)
        .filter((s) => !s.startsWith('__'))
        .join(', ')})`,
    );
    console.log(`release it on the local stack: modelship local release --model ${target}`);
    return 0;
  },
};
