import type { Command } from '../command.js';
import { local } from './local.js';

/** Every `modelship` sub-command, in the order `modelship --help` lists them. */
export const commands: readonly Command[] = [local];
