import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareDirs, defaultCompareOut } from '../../../loadtest/compare.js';
import type { Summary } from '../../../loadtest/summary.js';
import { summaryFixture } from './outputs/summary-fixture.js';

let dir: string;
const write = async (name: string, summary: Summary): Promise<string> => {
  await mkdir(join(dir, name), { recursive: true });
  await writeFile(join(dir, name, 'summary.json'), JSON.stringify(summary));
  return join(dir, name);
};
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'compare-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('modelship compare', () => {
  it('labels runs by scenario and run: two runs of one scenario are told apart', async () => {
    const monday = await write('monday', summaryFixture());
    const tuesday = await write('tuesday', summaryFixture());
    const pipeline = await write(
      'from-the-bucket',
      summaryFixture({
        deployment: { scenario: '2n-8c-16r-interop4', arm: 'release', runId: 'r-42', image: 'i@sha256:1', model: 'm' },
      }),
    );
    const { table } = await compareDirs([monday, join(tuesday, 'summary.json'), pipeline]);
    const labels = table
      .split('\n')
      .slice(1, 4)
      .map((row) => row.split(/\s{2,}/)[0]);
    expect(labels).toEqual([
      '2n-8c-16r-interop4 · monday',
      '2n-8c-16r-interop4 · tuesday',
      '2n-8c-16r-interop4 · r-42',
    ]);
  });

  it('writes beside the first run, in compare/, never into the current directory', () => {
    expect(defaultCompareOut(['results/a', 'results/b'])).toBe(join(process.cwd(), 'results', 'compare'));
    expect(defaultCompareOut(['results/a/summary.json'])).toBe(join(process.cwd(), 'results', 'compare'));
    expect(defaultCompareOut(['/tmp/x/run/'])).toBe('/tmp/x/compare');
  });
});
