import { resolve } from 'node:path';
import { runDemo } from '../../local/demo.js';
import { UsageError, parseOptions, type Command } from '../command.js';

const usage = `Usage: modelship local demo [--dir DIR]

Runs the pipeline on this machine, on the Google Cloud SDK's emulators and modelship's own (ports from
firebase.json). 'demo' (what npm start runs) publishes a release of a generated sample model and follows it.

Options:
  --dir DIR   where logs and local state go (default .modelship)`;

export const local: Command = {
  name: 'local',
  summary: 'run the whole pipeline on this machine (npm start runs its demo)',
  usage,
  async run(argv) {
    const { values, positionals } = parseOptions(argv, { dir: { type: 'string', default: '.modelship' } }, true);
    const [action] = positionals;
    if (action !== 'demo') throw new UsageError(action ? `unknown action '${action}'` : 'an action is required');
    console.log('modelship local demo');
    return runDemo({ dir: resolve(values.dir), print: (line) => console.log(line) });
  },
};
