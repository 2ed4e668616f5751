import type { ParseArgsConfig } from 'node:util';

/** One `modelship` sub-command. `run` returns the exit code; only cli/main.ts sets it. */
export interface Command {
  /** Full help text, printed by `modelship NAME --help`. */
  readonly usage: string;
  /** Its options, when it has a fixed set: then a --help that is an option's value (`--target --help`) is not help. */
  readonly options?: NonNullable<ParseArgsConfig['options']>;
  run(argv: readonly string[]): Promise<number>;
}

/** A command as `modelship --help` lists it; its module is imported when it runs. */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}
