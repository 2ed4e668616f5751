import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configTable } from '../../shared/config.js';
import { packageRoot } from '../../shared/paths.js';

describe('README', () => {
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  it('shows the configuration table of shared/config.ts, unchanged', () => {
    const section = /<!-- config:start -->\n([\s\S]*?)\n<!-- config:end -->/.exec(readme)?.[1];
    expect(section).toBe(configTable());
  });
  it('gives the two-command quick start', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });
});
