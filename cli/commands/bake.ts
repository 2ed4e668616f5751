import { BAKE_USAGE, runBake } from '../../bake-steps/run-bake.js';
import type { Command } from '../command.js';

export const bake: Command = {
  usage: BAKE_USAGE,
  async run(argv) {
    await runBake(argv, { cwd: process.cwd(), env: process.env, print: (line) => console.log(line) });
    return 0;
  },
};
