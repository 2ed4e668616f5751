import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportStore } from '../../../shared/report-store.js';
import { writeRunComparison } from '../../../shared/run-comparison.js';
import type { RunRecord, Store } from '../../../shared/store.js';
import { PASSED_FIGURES } from '../../support/figures.js';
import { createMemoryLogger } from '../../support/memory-logger.js';
import { summaryFixture } from '../loadtest/outputs/summary-fixture.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'run-comparison-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const run = (keys: string[]): RunRecord => ({
  runId: 'r-7',
  status: 'running',
  createdAt: '',
  updatedAt: '',
  repository: 'acme/resnet',
  tag: 'v2',
  stages: {},
  scenarios: Object.fromEntries(keys.map((k) => [k, { status: 'succeeded' as const, figures: PASSED_FIGURES }])),
});
const slower = summaryFixture({ requests: { ...summaryFixture().requests, rps: 80.24 } });
/** The summaries the jobs stored, by candidate. */
const store = {
  loadTest: async (_runId: string, key: string) => ({
    summaryJson: JSON.stringify(key.endsWith('~baseline') ? summaryFixture() : slower),
  }),
} as unknown as Store;

describe('the run comparison page', () => {
  it('puts the candidates side by side under the run’s report prefix, each baseline first', async () => {
    const reports = createReportStore(pathToFileURL(dir).href, () => undefined as never);
    const url = await writeRunComparison(run(['s', 's~baseline']), { store, reports, log: createMemoryLogger() });
    expect(url).toBe(`file://${join(dir, 'runs/r-7/compare.html')}`);
    const html = await readFile(join(dir, 'runs/r-7/compare.html'), 'utf8');
    expect(html).toContain('<h1>Run r-7 of acme/resnet@v2: the candidates side by side</h1>');
    expect(html).toMatch(/<td>s · baseline \(serving\)<\/td><td>1003<\/td><td>100.3<\/td><td>baseline<\/td>/);
    expect(html).toMatch(/<td>s<\/td><td>1003<\/td><td>80.24<\/td><td>-20.0%<\/td>/);
  });

  it('writes nothing for a single candidate, and lets the run go on when the store fails', async () => {
    const reports = createReportStore(pathToFileURL(dir).href, () => undefined as never);
    expect(await writeRunComparison(run(['s']), { store, reports, log: createMemoryLogger() })).toBeUndefined();
    const log = createMemoryLogger();
    const broken = { putObject: async () => Promise.reject(new Error('403 Forbidden')) };
    expect(await writeRunComparison(run(['a', 'b']), { store, reports: broken, log })).toBeUndefined();
    expect(JSON.stringify(log.lines)).toContain('403 Forbidden');
  });
});
