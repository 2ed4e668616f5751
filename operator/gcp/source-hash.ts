import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/**
 * A hash of the source the functions and the load-test image are built from. Functions carry it as a label and
 * the image as its tag, so apply redeploys only when the source changed. What counts is what the build reads:
 * the package files, the TypeScript project files and the source directories (never node_modules or dist).
 */

export const SOURCE_PARTS = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'tsconfig.functions.json',
  'functions',
  'shared',
  'bake-steps',
  'loadtest',
  'operator',
  'local',
  'cli',
  'bench',
  'scenarios',
  'cloudbuild',
];

async function files(root: string, part: string): Promise<string[]> {
  try {
    const entries = await readdir(join(root, part), { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name)));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') return [part];
    if (code === 'ENOENT') return [];
    throw err;
  }
}

/** 16 hex characters: short enough for a label value and an image tag, long enough never to collide here. */
export async function sourceHash(root: string, parts: readonly string[] = SOURCE_PARTS): Promise<string> {
  const paths = (await Promise.all(parts.map((p) => files(root, p)))).flat().sort();
  const hash = createHash('sha256');
  for (const path of paths) {
    hash.update(path.split(sep).join('/')).update('\0');
    hash.update(await readFile(join(root, path))).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}
