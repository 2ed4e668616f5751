import { mkdir, writeFile } from 'node:fs/promises';
import type { LoadTestOptions } from '../options.js';
import { consoleOutput } from './console.js';
import { csvOutput } from './csv.js';
import { jsonOutput } from './json.js';
import type { Output, OutputDeps } from './output.js';
import { reportOutput } from './report.js';

/** The console always; summary.json, the CSVs and report.html when --out names a directory. */
export function defaultOutputs(options: LoadTestOptions, deps: Partial<OutputDeps> = {}): Output[] {
  return [consoleOutput(options.progress, { stream: deps.stream ?? process.stdout }), ...fileOutputs(options, deps)];
}

/** summary.json, the CSVs and report.html when --out names a directory; none otherwise. */
export function fileOutputs(options: LoadTestOptions, deps: Partial<OutputDeps> = {}): Output[] {
  const dir = options.out;
  if (dir === undefined) return [];
  const write =
    deps.writeFile ??
    (async (path: string, data: string) => {
      await mkdir(dir, { recursive: true });
      await writeFile(path, data);
    });
  const fs = { writeFile: write };
  return [
    jsonOutput(dir, fs),
    csvOutput(dir, options.csvPrefix, fs),
    reportOutput(dir, { csvPrefix: options.csvPrefix }, fs),
  ];
}
