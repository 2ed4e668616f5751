import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareDirs, defaultCompareOut } from '../../loadtest/compare.js';
import { parseOptions, UsageError } from '../../shared/command-line.js';
import { type Command } from '../command.js';

export const compareCommand: Command = {
  usage: `Usage: modelship compare DIR... [--out DIR]

Reads each DIR/summary.json (written by modelship loadtest --out DIR), prints a table of throughput,
p50/p95/p99 and errors with each run's difference from the first (the baseline), warns when the load models
differ, and writes compare.html and compare.svg into --out (default: compare/ beside the first DIR).`,
  async run(argv) {
    const { values, positionals } = parseOptions(argv, { out: { type: 'string' } }, true);
    if (positionals.length === 0) throw new UsageError('expected at least one run directory');
    const comparison = await compareDirs(positionals);
    const out = values.out ?? defaultCompareOut(positionals);
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'compare.html'), comparison.html);
    await writeFile(join(out, 'compare.svg'), comparison.svg);
    for (const warning of comparison.warnings) console.error(`warning: ${warning}`);
    console.log(`${comparison.table}\nwrote ${join(out, 'compare.html')} and ${join(out, 'compare.svg')}`);
    return 0;
  },
};
