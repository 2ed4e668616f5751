import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'scenarios'))) return dir;
    if (dirname(dir) === dir) throw new Error(`modelship: no package root above ${start}`);
  }
}

/**
 * The repository (or installed package) root. Code runs both from source (vitest, tsx) and from dist/, so data
 * files that tsc does not copy (.proto, scenarios/, cloudbuild/) are found from here, not relative to the module.
 */
export const packageRoot: string = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** A compiled module of this package (child processes run the build, not the TypeScript sources). */
export function distPath(relative: string): string {
  return join(packageRoot, 'dist', relative);
}
