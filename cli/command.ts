import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ModelshipError } from '../shared/errors.js';

/** One `modelship` sub-command. `run` returns the exit code; only cli/main.ts sets it. */
export interface Command {
  /** Full help text, printed by `modelship NAME --help`. */
  readonly usage: string;
  run(argv: readonly string[]): Promise<number>;
}

/** A bad command line: printed with the command's usage, exit code 2. */
export class UsageError extends ModelshipError {
  override readonly name = 'UsageError';
}

/** A command as `modelship --help` lists it; its module is imported when it runs. */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into UsageError so that main prints them with the usage. */
export function parseOptions<T extends Options>(argv: readonly string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}
