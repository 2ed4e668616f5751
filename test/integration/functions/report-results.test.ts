import { rolloutLock } from '../../../shared/deploy-requested.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseNotes } from '../../../shared/github/releases.js';
import { createMemoryLogger } from '../../support/memory-logger.js';
import type { LoadTestFinished, PipelineFailed } from '../../../shared/messages.js';
import { reportResults } from '../../../shared/report-results.js';
import { createFirestoreStore, type Store } from '../../../shared/store.js';
import { testProject, type TestProject } from '../../support/emulators.js';

let project: TestProject;
let store: Store;
const written: Array<{ repository: string; tag: string; key: string; markdown: string }> = [];
const notes: ReleaseNotes = {
  upsert: async (repository, tag, key, markdown) => {
    written.push({ repository, tag, key, markdown });
    return { url: `https://github.com/${repository}/releases/tag/${tag}` };
  },
};
const log = createMemoryLogger();

beforeAll(async () => {
  project = await testProject();
  store = createFirestoreStore(project.firestore);
});
afterAll(() => project?.close());

const image = `r/m@sha256:${'0'.repeat(64)}`;
const finished = (runId: string, passed: boolean): LoadTestFinished => ({
  type: 'LoadTestFinished',
  version: 1,
  runId,
  scenario: '2n-8c-16r-interop4',
  image,
  summary: {
    requests: 100,
    failures: passed ? 0 : 30,
    rps: 10,
    p50Ms: 5,
    p95Ms: 9,
    p99Ms: 12,
    thresholdsPassed: passed,
    failedThresholds: passed ? [] : ['errors<1%'],
  },
  reportUrl: 'file:///tmp/report.html',
});

describe('reportResults', () => {
  it('completes a successful run and writes the outcome on its release', async () => {
    await store.createRun({ runId: 'run-success-1', repository: 'o/r', tag: 'v1' });
    await reportResults(finished('run-success-1', true), { store, notes, log });
    const run = await store.getRun('run-success-1');
    expect(run).toMatchObject({
      status: 'succeeded',
      result: { scenario: '2n-8c-16r-interop4', rps: 10, p99Ms: 12, reportUrl: 'file:///tmp/report.html' },
      stages: {
        'load-test': { status: 'succeeded' },
        report: { status: 'succeeded', details: { releaseUrl: 'https://github.com/o/r/releases/tag/v1' } },
      },
    });
    expect(written.at(-1)).toMatchObject({ repository: 'o/r', tag: 'v1', key: 'run-success-1-2n-8c-16r-interop4' });
  });

  it('marks a run whose thresholds failed as failed at load-test, saying which', async () => {
    await store.createRun({ runId: 'run-thresholds', repository: 'o/r', tag: 'v2' });
    await reportResults(finished('run-thresholds', false), { store, notes, log });
    expect(await store.getRun('run-thresholds')).toMatchObject({
      status: 'failed',
      failure: { stage: 'load-test', reason: 'thresholds failed: errors<1%' },
    });
    expect(written.at(-1)?.markdown).toContain('load test failed ❌ (errors<1%)');
  });

  it('records a failed stage and writes why on the release; a redelivery after the run ended changes nothing', async () => {
    await store.createRun({ runId: 'run-failed-bake', repository: 'o/r', tag: 'v3' });
    const failed: PipelineFailed = {
      type: 'PipelineFailed',
      version: 1,
      runId: 'run-failed-bake',
      stage: 'bake',
      reason: 'archive holds ../etc/passwd',
    };
    await reportResults(failed, { store, notes, log });
    await reportResults(failed, { store, notes, log });
    expect(await store.getRun('run-failed-bake')).toMatchObject({
      status: 'failed',
      failure: { stage: 'bake', reason: 'archive holds ../etc/passwd' },
    });
    expect(written.filter((w) => w.key === 'run-failed-bake-run')).toHaveLength(1);
  });

  it('refuses a message for a run that does not exist, creating nothing', async () => {
    await expect(reportResults(finished('run-never-opened', true), { store, notes, log })).rejects.toThrow(
      /run run-never-opened, which does not exist: refused/,
    );
    expect(await store.getRun('run-never-opened')).toBeUndefined();
  });

  it('ends a run with its last scenario, releases each rollout lock, and lets no late message overwrite it', async () => {
    const lock = rolloutLock('ns');
    await store.createRun({
      runId: 'run-two',
      scenarios: { '2n-8c-16r-interop4': { status: 'running', lock }, other: { status: 'running' } },
    });
    await store.acquireLock(lock, {
      runId: 'run-two',
      scenario: '2n-8c-16r-interop4',
      expiresAt: '2999-01-01T00:00:00Z',
    });
    await reportResults(finished('run-two', true), { store, notes, log });
    expect((await store.getRun('run-two'))?.status).toBe('running');
    // The lock is free: another run may roll out now.
    expect(await store.acquireLock(lock, { runId: 'next', scenario: 'x', expiresAt: '2999-01-01T00:00:00Z' })).toEqual({
      acquired: true,
    });
    const failed: PipelineFailed = {
      type: 'PipelineFailed',
      version: 1,
      runId: 'run-two',
      stage: 'deploy',
      scenario: 'other',
      reason: 'rolled back',
    };
    await reportResults(failed, { store, notes, log });
    const ended = await store.getRun('run-two');
    expect(ended).toMatchObject({
      status: 'failed',
      failure: { stage: 'deploy', reason: 'rolled back', scenario: 'other' },
      scenarios: { '2n-8c-16r-interop4': { status: 'succeeded' }, other: { status: 'failed' } },
    });
    // Late: a redelivered result, a second failure. Neither changes the finished run.
    await reportResults(finished('run-two', true), { store, notes, log });
    await reportResults({ ...failed, scenario: undefined, stage: 'load-test', reason: 'late' }, { store, notes, log });
    expect(await store.getRun('run-two')).toEqual(ended);
  });

  it('completes the record of a run without a release (a redeploy) and writes nothing on GitHub', async () => {
    const before = written.length;
    await store.createRun({ runId: 'run-redeploy-1' });
    await reportResults(finished('run-redeploy-1', true), { store, notes, log });
    expect(written).toHaveLength(before);
    expect(await store.getRun('run-redeploy-1')).toMatchObject({ status: 'succeeded' });
  });
});
