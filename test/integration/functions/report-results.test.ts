import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config.js';
import { deadlines } from '../../../shared/deadline.js';
import { rolloutLock } from '../../../shared/deploy-requested.js';
import type { ReleaseNotes } from '../../../shared/github/releases.js';
import type {
  LoadTestFinished,
  LoadTestRequested,
  PipelineFailed,
  PipelineMessage,
  PromotionFinished,
} from '../../../shared/messages.js';
import { REPORT_SETTINGS, reportResults, type ReportDeps } from '../../../shared/report-results.js';
import { createReportStore } from '../../../shared/report-store.js';
import { createFirestoreStore, RUN_HOLDER, type ScenarioRecord, type Store } from '../../../shared/store.js';
import { arm, type ArmShape } from '../../support/arm-measurement.js';
import { testProject, type TestProject } from '../../support/emulators.js';
import { createMemoryLogger } from '../../support/memory-logger.js';

let project: TestProject;
let store: Store;
const written: Array<{ repository: string; tag: string; key: string; markdown: string }> = [];
const notes: ReleaseNotes = {
  upsert: async (repository, tag, key, markdown) => {
    written.push({ repository, tag, key, markdown });
    return { url: `https://github.com/${repository}/releases/tag/${tag}` };
  },
};

let reportDir: string;
beforeAll(async () => {
  project = await testProject();
  store = createFirestoreStore(project.firestore);
  reportDir = await mkdtemp(join(tmpdir(), 'report-results-'));
});
afterAll(async () => {
  await project?.close();
  await rm(reportDir, { recursive: true, force: true });
});

const S = '2n-8c-16r-interop4';
const OTHER = '4n-4c-8r-interop2';
const image = `r/m@sha256:${'1'.repeat(64)}`;
const serving = `r/m@sha256:${'0'.repeat(64)}`;
const lock = rolloutLock('ns');

function deps(env: Record<string, string> = {}) {
  const published: PipelineMessage[] = [];
  const d: ReportDeps = {
    store,
    notes,
    reports: createReportStore(pathToFileURL(reportDir).href, () => undefined as never),
    log: createMemoryLogger(),
    publish: async (m) => {
      published.push(m);
      return String(published.length);
    },
    config: loadConfig(REPORT_SETTINGS, env),
    deadlines: deadlines(600),
  };
  return { d, published };
}

const candidate = (scenario: string, more: Partial<ScenarioRecord> = {}): ScenarioRecord => ({
  status: 'running',
  scenario,
  arm: 'release',
  image,
  wave: 0,
  lock,
  ...more,
});
const baseline = (scenario: string): ScenarioRecord => ({ ...candidate(scenario), arm: 'baseline', image: serving });

/** A run measuring its candidates, holding the namespace. */
async function open(runId: string, scenarios: Record<string, ScenarioRecord>) {
  await store.createRun({ runId, repository: 'o/r', tag: runId, scenarios });
  await store.acquireLock(lock, { runId, scenario: RUN_HOLDER, expiresAt: '2999-01-01T00:00:00Z' });
}

/** The job's end of a load test: the whole summary stored with the run, the figures in LoadTestFinished. */
async function measured(runId: string, scenario: string, shape: ArmShape, which?: 'baseline') {
  const m = arm(shape);
  const key = which ? `${scenario}~baseline` : scenario;
  await store.saveLoadTest(runId, key, { summaryJson: JSON.stringify(m.summary) });
  const message: LoadTestFinished = {
    type: 'LoadTestFinished',
    version: 1,
    runId,
    scenario,
    ...(which ? { arm: which } : {}),
    image: which ? serving : image,
    summary: m.figures,
    reportUrl: `file:///tmp/${key}.html`,
  };
  return message;
}

const promoted = (runId: string, scenario: string | null): PromotionFinished => ({
  type: 'PromotionFinished',
  version: 1,
  runId,
  scenario,
  ...(scenario ? { image } : {}),
  requestedBy: 'pipeline',
  outcome: scenario ? 'promoted' : 'none',
  reason: scenario ? 'the most throughput per vCPU' : 'no candidate passed the gate',
});

describe('reportResults: candidates, the gate, the end of a run', () => {
  it('judges a first release on its thresholds, asks for its promotion, and ends the run once it serves', async () => {
    const { d, published } = deps();
    await open('rr-first', { [S]: candidate(S) });
    const finished = await measured('rr-first', S, { seed: 1 });
    await reportResults(finished, d);
    expect(published).toEqual([
      expect.objectContaining({
        type: 'PromoteRequested',
        runId: 'rr-first',
        scenario: S,
        image,
        requestedBy: 'pipeline',
      }),
    ]);
    const judged = await store.getRun('rr-first');
    expect(judged).toMatchObject({
      status: 'running',
      promotion: { status: 'pending', scenario: S },
      scenarios: { [S]: { status: 'succeeded', figures: finished.summary, verdict: { passed: true, deltas: null } } },
    });
    expect(written.at(-1)?.markdown).toMatch(new RegExp(`\\| \\*\\*${S}\\*\\* \\| 15 \\| .* \\| passed ✅ \\|`));

    await reportResults(promoted('rr-first', S), d);
    expect(await store.getRun('rr-first')).toMatchObject({
      status: 'succeeded',
      promotion: { status: 'promoted', scenario: S, image },
      stages: { promote: { status: 'succeeded' }, report: { status: 'succeeded' } },
    });
    expect(written.at(-1)?.markdown).toContain(`${S} promoted ✅`);
    // The namespace is free for the next run; a late redelivery changes nothing.
    expect(
      await store.acquireLock(lock, { runId: 'next', scenario: RUN_HOLDER, expiresAt: '2999-01-01T00:00:00Z' }),
    ).toEqual({
      acquired: true,
    });
    await store.releaseLock(lock, 'next', RUN_HOLDER);
    const ended = await store.getRun('rr-first');
    await reportResults(finished, d);
    expect(await store.getRun('rr-first')).toEqual(ended);
    expect(published).toHaveLength(1);
  });

  it('refuses a candidate slower than the serving release measured beside it, and the run fails with why', async () => {
    const { d, published } = deps();
    await open('rr-slower', { [S]: candidate(S), [`${S}~baseline`]: baseline(S) });
    await reportResults(await measured('rr-slower', S, { seed: 3 }, 'baseline'), d);
    expect(published).toEqual([]);
    await reportResults(await measured('rr-slower', S, { seed: 4, medianMs: 48 }), d);
    expect(published).toEqual([
      expect.objectContaining({
        type: 'PromoteRequested',
        scenario: null,
        reason: expect.stringMatching(/no candidate passed the gate/),
      }),
    ]);
    const run = await store.getRun('rr-slower');
    expect(run?.scenarios?.[S]?.verdict).toMatchObject({ passed: false, deltas: { p50: expect.any(Number) } });
    expect(run?.scenarios?.[S]?.verdict?.deltas?.p50).toBeGreaterThan(0.1);
    expect(run?.scenarios?.[S]?.verdict?.reasons.join(' ')).toMatch(/latency \+\d+\.\d% .*slower/);
    expect(written.at(-1)?.markdown).toMatch(/baseline \(serving/);
    // The two side by side, the baseline first, beside their reports; the release notes link the page.
    const page = join(reportDir, 'runs', 'rr-slower', 'compare.html');
    expect(run?.comparisonUrl).toBe(`file://${page}`);
    expect(await readFile(page, 'utf8')).toMatch(
      new RegExp(`<td>${S} · baseline \\(serving\\)</td>[\\s\\S]*<td>${S}</td><td>4000</td><td>400</td><td>[+-]`),
    );
    expect(written.at(-1)?.markdown).toContain(`Side by side: \`${page}\``);

    await reportResults(promoted('rr-slower', null), d);
    expect(await store.getRun('rr-slower')).toMatchObject({
      status: 'failed',
      failure: { stage: 'promote', reason: 'no candidate passed the gate' },
      promotion: { status: 'none', scenario: null },
    });
  });

  it('does not pass a candidate whose baseline could not be measured', async () => {
    const { d, published } = deps();
    await open('rr-no-baseline', { [S]: candidate(S), [`${S}~baseline`]: baseline(S) });
    const failed: PipelineFailed = {
      type: 'PipelineFailed',
      version: 1,
      runId: 'rr-no-baseline',
      stage: 'deploy',
      scenario: S,
      arm: 'baseline',
      reason: 'ImagePullBackOff',
    };
    await reportResults(failed, d);
    await reportResults(await measured('rr-no-baseline', S, { seed: 5 }), d);
    expect(published).toEqual([expect.objectContaining({ type: 'PromoteRequested', scenario: null })]);
    expect((await store.getRun('rr-no-baseline'))?.scenarios?.[S]?.verdict).toEqual({
      passed: false,
      reasons: ['its baseline (the serving image) failed at deploy: ImagePullBackOff'],
      deltas: null,
    });
  });

  it('asks for the load tests of a wave whose last rollout failed: the deployed candidates waited for it', async () => {
    const { d, published } = deps();
    const loadTest: LoadTestRequested = {
      type: 'LoadTestRequested',
      version: 1,
      runId: 'rr-wave-failed',
      scenario: S,
      image,
      target: '127.0.0.1:8500',
      modelName: 'resnet',
      profile: { durationS: 5, users: 2, thresholds: [] },
    };
    await open('rr-wave-failed', {
      [S]: candidate(S, { endpoint: loadTest.target, loadTest }),
      [`${S}~baseline`]: baseline(S),
    });
    const failed: PipelineFailed = {
      type: 'PipelineFailed',
      version: 1,
      runId: 'rr-wave-failed',
      stage: 'deploy',
      scenario: S,
      arm: 'baseline',
      reason: 'ImagePullBackOff',
    };
    await reportResults(failed, d);
    await reportResults(failed, d);
    expect(published).toEqual([loadTest]);
    expect((await store.getRun('rr-wave-failed'))?.deadline).toMatchObject({ stage: 'load-test', scenario: S });
  });

  it('asks for the next wave once a wave has ended, once however often the message comes', async () => {
    const { d, published } = deps();
    await open('rr-waves', { [S]: candidate(S), [OTHER]: candidate(OTHER, { status: 'pending', wave: 1 }) });
    const finished = await measured('rr-waves', S, { seed: 6 });
    await reportResults(finished, d);
    await reportResults(finished, d);
    expect(published).toEqual([
      {
        type: 'DeployRequested',
        version: 1,
        runId: 'rr-waves',
        scenario: OTHER,
        image,
        requestedBy: 'pipeline',
      },
    ]);
  });

  it('with PROMOTION=manual, promotes nothing and says how to; the run succeeds since a candidate passed', async () => {
    const { d, published } = deps({ PROMOTION: 'manual' });
    await open('rr-manual', { [S]: candidate(S) });
    await reportResults(await measured('rr-manual', S, { seed: 7 }), d);
    expect(published).toEqual([
      expect.objectContaining({
        scenario: null,
        reason: expect.stringContaining(`modelship promote rr-manual --scenario ${S}`),
      }),
    ]);
    const decided = published[0]?.type === 'PromoteRequested' ? published[0].reason : '';
    await reportResults({ ...promoted('rr-manual', null), reason: decided }, d);
    expect((await store.getRun('rr-manual'))?.status).toBe('succeeded');
    expect(written.filter((w) => w.tag === 'rr-manual').at(-1)?.markdown).toMatch(
      /Nothing promoted:\*\* PROMOTION=manual/,
    );

    // `modelship promote`: the deployer serves it and records it on the ended run; the release notes follow.
    await store.recordPromotion('rr-manual', {
      status: 'promoted',
      scenario: S,
      image,
      reason: 'chosen by hand',
      requestedBy: 'operator',
      at: new Date().toISOString(),
    });
    await reportResults({ ...promoted('rr-manual', S), requestedBy: 'operator', reason: 'chosen by hand' }, d);
    expect(written.filter((w) => w.tag === 'rr-manual').at(-1)?.markdown).toMatch(
      new RegExp(`\\*\\*Promoted:\\*\\* ${S} now serves .*chosen by hand`),
    );
    expect((await store.getRun('rr-manual'))?.status).toBe('succeeded');
    await expect(reportResults({ ...promoted('rr-nowhere', S), requestedBy: 'operator' }, d)).rejects.toThrow(
      /run rr-nowhere, which does not exist: refused/,
    );
  });

  it('ends a run that failed as a whole, writes why, and a redelivery after it ended changes nothing', async () => {
    const { d } = deps();
    await store.createRun({ runId: 'rr-bake', repository: 'o/r', tag: 'v3' });
    const failed: PipelineFailed = {
      type: 'PipelineFailed',
      version: 1,
      runId: 'rr-bake',
      stage: 'bake',
      reason: 'archive holds ../etc/passwd',
    };
    await reportResults(failed, d);
    await reportResults(failed, d);
    expect(await store.getRun('rr-bake')).toMatchObject({
      status: 'failed',
      failure: { stage: 'bake', reason: 'archive holds ../etc/passwd' },
    });
    expect(written.filter((w) => w.key === 'rr-bake')).toHaveLength(1);
    expect(written.at(-1)?.markdown).toContain('failed at bake ❌');
  });

  it('refuses a message for a run that does not exist, creating nothing', async () => {
    const { d } = deps();
    await expect(reportResults(await measured('rr-never-opened', S, { seed: 8 }), d)).rejects.toThrow(
      /run rr-never-opened, which does not exist: refused/,
    );
    expect(await store.getRun('rr-never-opened')).toBeUndefined();
  });
});
