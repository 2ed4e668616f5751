import { join } from 'node:path';
import type { Output, OutputDeps } from './output.js';

/** summary.json: the versioned record of the run (schema in loadtest/summary.ts and docs/loadtest.md). */
export function jsonOutput(dir: string, deps: Pick<OutputDeps, 'writeFile'>): Output {
  return {
    start: () => undefined,
    add: () => undefined,
    stop: (summary) => deps.writeFile(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`),
  };
}
