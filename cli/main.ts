#!/usr/bin/env node
import { parseArgs } from 'node:util';
import type { Command } from './command.js';
import { commands } from './commands/index.js';
import { UsageError } from '../shared/command-line.js';
import { ConfigError, ModelshipError } from '../shared/errors.js';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  return [
    'modelship: a GitHub release with a TensorFlow SavedModel becomes a load-tested TF Serving deployment on GKE.',
    '',
    'Usage: modelship COMMAND [options]    (modelship COMMAND --help for its options)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/** --help or -h given as an option, not as the value of one (`--target --help`, which the command refuses). */
function asksForHelp(argv: readonly string[], command: Command): boolean {
  if (!command.options) return argv.includes('--help') || argv.includes('-h');
  const options = { ...command.options, help: { type: 'boolean', short: 'h' } } as const;
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  return tokens.some((t) => t.kind === 'option' && t.name === 'help');
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    console.error(`modelship: unknown command '${name}'.\n\n${help()}`);
    return 2;
  }
  const command = await entry.load();
  if (asksForHelp(rest, command)) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`modelship ${name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    if (err instanceof ConfigError || err instanceof ModelshipError) {
      console.error(`modelship ${name}: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
