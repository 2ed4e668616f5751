import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ModelshipError } from './errors.js';

/** The command lines of every program of the project: the CLI, the bake steps, the load-test job. */

/** A bad command line: printed with the command's usage, exit code 2. */
export class UsageError extends ModelshipError {
  override readonly name = 'UsageError';
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
