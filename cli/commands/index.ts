import type { Command } from '../command.js';
import { bake } from './bake.js';
import { compareCommand } from './compare.js';
import { gcp } from './gcp.js';
import { loadtestCommand } from './loadtest.js';
import { local } from './local.js';
import { redeployCommand } from './redeploy.js';
import { renderCommand } from './render.js';
import { runs } from './runs.js';
import { scenariosCommand } from './scenarios.js';
import { sweepCommand } from './sweep.js';
import { tfsSimCommand } from './tfs-sim.js';

/** Every `modelship` sub-command, in the order `modelship --help` lists them (ARCHITECTURE.md's order). */
export const commands: readonly Command[] = [
  local,
  loadtestCommand,
  compareCommand,
  tfsSimCommand,
  scenariosCommand,
  renderCommand,
  redeployCommand,
  runs,
  sweepCommand,
  gcp,
  bake,
];
