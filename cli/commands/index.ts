import type { Command } from '../command.js';
import { local } from './local.js';
import { bake } from './bake.js';
import { loadtestCommand } from './loadtest.js';
import { compareCommand } from './compare.js';
import { tfsSimCommand } from './tfs-sim.js';
import { runs } from './runs.js';

/** Every `modelship` sub-command, in the order `modelship --help` lists them. */
export const commands: readonly Command[] = [local, bake, loadtestCommand, compareCommand, tfsSimCommand, runs];
