import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../../shared/paths.js';

/** What `gcloud functions deploy` uploads (.gcloudignore) and what the functions' build compiles (gcp-build). */

const read = (file: string) => readFileSync(join(packageRoot, file), 'utf8');
const ignored = read('.gcloudignore')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'));
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
const functionsProject = JSON.parse(read('tsconfig.functions.json')) as { include: string[] };

describe("the functions' source", () => {
  it('compiles once, in gcp-build, the functions and what they import', () => {
    expect(pkg.scripts['gcp-build']).toBe('tsc -p tsconfig.functions.json');
    expect(functionsProject.include).toEqual(['functions', 'shared']);
  });

  it('uploads what the build and the functions read, and not the rest', () => {
    for (const needed of [...functionsProject.include, 'scenarios', 'cloudbuild', 'tsconfig.functions.json'])
      expect(ignored).not.toContain(needed);
    for (const extra of ['test', 'docs', 'local', 'bench', 'loadtest', 'operator', 'cli', 'bake-steps', '.sdk'])
      expect(ignored).toContain(extra);
  });
});
