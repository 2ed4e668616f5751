import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseGcpConfig } from '../../../operator/gcp/load-gcp-config.js';
import { resourceNames } from '../../../operator/gcp/names.js';
import { packageRoot } from '../../../shared/paths.js';

/** A Cloud Build config of cloudbuild/ as the tests read it, and the image names the plan gives the example config. */

export interface Step {
  id: string;
  name: string;
  entrypoint?: string;
  args: string[];
  env?: string[];
  waitFor?: string[];
  volumes?: unknown[];
}
export interface BuildConfig {
  substitutions: Record<string, string>;
  steps: Step[];
  images?: string[];
  options: Record<string, string>;
}

export function loadBuildConfig(file: string): { text: string; config: BuildConfig; step: (id: string) => Step } {
  const text = readFileSync(join(packageRoot, file), 'utf8');
  const config = parse(text) as BuildConfig;
  const step = (id: string) => {
    const found = config.steps.find((s) => s.id === id);
    if (!found) throw new Error(`${file} has no step ${id}`);
    return found;
  };
  return { text, config, step };
}

/** `$NAME` and `${NAME}` filled in as Cloud Build does; `<NAME>` for a value not given. */
export const fill = (s: string, values: Record<string, string>) =>
  s.replace(/\$\{?(_?[A-Z_]+)\}?/g, (_, k: string) => values[k] ?? `<${k}>`);

/** The substitutions a config uses besides its own, found in its text outside comments. */
export function undeclaredSubstitutions({ text, config }: { text: string; config: BuildConfig }, builtIns: string[]) {
  const used = [...text.replace(/^\s*#.*$/gm, '').matchAll(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g)].map((m) => m[1] ?? '');
  return used.filter((v) => !(v in config.substitutions) && !builtIns.includes(v));
}

export const exampleConfig = parseGcpConfig(
  readFileSync(join(packageRoot, 'modelship.config.example.yaml'), 'utf8'),
  'modelship.config.example.yaml',
  { scenarios: ['2n-8c-16r-interop4'] },
);
export const exampleNames = resourceNames(exampleConfig);

/** `REPO/IMAGE:TAG` → `REPO/IMAGE`. */
export const untagged = (ref: string) => ref.replace(/:[^:/]+$/, '');
