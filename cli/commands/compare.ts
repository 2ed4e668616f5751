import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareDirs } from '../../loadtest/compare.js';
import { parseOptions, UsageError } from '../../shared/command-line.js';
import { type Command } from '../command.js';

export const compareCommand: Command = {
  usage: `Usage: modelship compare DIR... [--out DIR]

Reads each DIR/summary.json (written by modelship loadtest --out DIR), prints a table of throughput,
p50/p95/p99 and errors, and writes compare.html and compare.svg into --out (default: the current directory).`,
  async run(argv) {
    const { values, positionals } = parseOptions(argv, { out: { type: 'string', default: '.' } }, true);
    if (positionals.length === 0) throw new UsageError('expected at least one run directory');
    const comparison = await compareDirs(positionals);
    const out = values.out ?? '.';
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'compare.html'), comparison.html);
    await writeFile(join(out, 'compare.svg'), comparison.svg);
    console.log(`${comparison.text}\nwrote ${join(out, 'compare.html')} and ${join(out, 'compare.svg')}`);
    return 0;
  },
};
