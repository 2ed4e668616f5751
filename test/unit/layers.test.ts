import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../shared/paths.js';

/** The layer rule of eslint.config.js, run on source placed in each layer: what crosses fails `npm run lint`. */
const eslint = new ESLint({ cwd: packageRoot });

async function crossings(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(packageRoot, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'modelship/layers').map((m) => m.message);
}

describe('import layers', () => {
  it.each([
    ['shared/x.ts', "import { main } from '../cli/main.js';", 'shared/ may not import cli/'],
    ['shared/gcp/x.ts', "export { stack } from '../../local/stack.js';", 'shared/ may not import local/'],
    ['shared/x.ts', "import type { Summary } from '../loadtest/summary.js';", 'shared/ may not import loadtest/'],
    ['functions/x.ts', "const m = await import('../local/stack.js');", 'functions/ may not import local/'],
    ['local/x.ts', "import { bake } from '../cli/commands/bake.js';", 'local/ may not import cli/'],
    ['loadtest/x.ts', "import { sweep } from '../operator/sweep.js';", 'loadtest/ may not import operator/'],
    ['bake-steps/x.ts', "import { x } from '../functions/index.js';", 'bake-steps/ may not import functions/'],
  ])('%s: %s fails', async (file, code, message) => {
    expect(await crossings(file, `${code}\nexport {};\n`)).toEqual([`${message} (layers: eslint.config.js)`]);
  });

  it.each([
    ['functions/x.ts', "import { TOPICS } from '../shared/topics.js';"],
    ['cli/x.ts', "import { startLocalStack } from '../local/stack.js';"],
    ['local/x.ts', "import { runBake } from '../bake-steps/run-bake.js';"],
    ['shared/gcp/x.ts', "import { parseBuild } from '../bake/build-view.js';"],
    ['test/x.ts', "import { main } from '../cli/main.js';"],
  ])('%s: %s passes', async (file, code) => {
    expect(await crossings(file, `${code}\nexport {};\n`)).toEqual([]);
  });
});
