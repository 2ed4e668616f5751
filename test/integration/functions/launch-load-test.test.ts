import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { JobsClient } from '@google-cloud/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRunEmulator, type RunEmulator } from '../../../local/emulators/run/run-emulator.js';
import { TransientError } from '../../../shared/errors.js';
import { clientOptions } from '../../../shared/gcp/client-options.js';
import { createJobRunner } from '../../../shared/gcp/cloud-run.js';
import { launchLoadTest, loadTestArgs } from '../../../shared/launch-load-test.js';
import { loadTestOptions, parseArgsOptions } from '../../../loadtest/options.js';
import { createMemoryLogger } from '../../support/memory-logger.js';
import type { LoadTestRequested } from '../../../shared/messages.js';
import { createFirestoreStore, type Store } from '../../../shared/store.js';
import { testProject, type TestProject } from '../../support/emulators.js';

const JOB = 'projects/p/locations/l/jobs/modelship-loadtest';
let project: TestProject;
let store: Store;
let run: RunEmulator;
let client: JobsClient;
const logDir = mkdtempSync(join(tmpdir(), 'modelship-launch-'));
const log = createMemoryLogger();

beforeAll(async () => {
  project = await testProject();
  store = createFirestoreStore(project.firestore);
  run = await startRunEmulator({
    logDir,
    jobs: { [JOB]: { command: [process.execPath, '-e', 'process.exit(0)', '--'] } },
  });
  client = new JobsClient(clientOptions(`127.0.0.1:${run.port}`));
});
afterAll(async () => {
  await client?.close();
  await run?.stop();
  await project?.close();
  rmSync(logDir, { recursive: true, force: true });
});

const request = (runId: string, profile: Partial<LoadTestRequested['profile']> = {}): LoadTestRequested => ({
  type: 'LoadTestRequested',
  version: 1,
  runId,
  scenario: '2n-8c-16r-interop4',
  image: `r/m@sha256:${'a'.repeat(64)}`,
  target: 'dns:///tfs-server-headless:8500',
  modelName: 'resnet',
  profile: { users: 150, spawnRate: 1, thinkTimeMs: 1000, durationS: 300, thresholds: ['errors<1%'], ...profile },
});

describe('launchLoadTest', () => {
  it("builds the seed's load test as the job's args", () => {
    expect(loadTestArgs(request('r-args'))).toEqual([
      '--target',
      'dns:///tfs-server-headless:8500',
      '--model',
      'resnet',
      '--scenario',
      '2n-8c-16r-interop4',
      '--duration',
      '300s',
      '--users',
      '150',
      '--spawn-rate',
      '1',
      '--think-time',
      '1000ms',
      '--threshold',
      'errors<1%',
      '--progress',
      'log',
    ]);
    expect(loadTestArgs(request('r-open', { users: undefined, rate: 50 }))).toContain('--rate');
  });

  it('builds a capacity search as the job args, which the load tester reads back', () => {
    const capacity = { p99BoundMs: 250, errorsBound: 0.02, startRps: 20, probeS: 30 };
    const args = loadTestArgs(request('r-capacity', { capacity }));
    const { values } = parseArgs({ args, options: parseArgsOptions() });
    const options = loadTestOptions(values);
    expect(options.capacity).toEqual({ p99BoundMs: 250, errorsBound: 0.02, startRps: 20, maxProbes: 8 });
    expect(options.load).toMatchObject({ kind: 'open', stages: [{ rate: 20 }, { rate: 20, durationMs: 30_000 }] });
    expect(options.warmupMs).toBe(6000);
  });

  it('launches one execution per run and scenario, however often the request is delivered', async () => {
    const jobs = createJobRunner(client, JOB);
    const message = request('20261125-150000-aaaaaa');
    await Promise.all([launchLoadTest(message, { store, jobs, log }), launchLoadTest(message, { store, jobs, log })]);
    await launchLoadTest(message, { store, jobs, log });
    const mine = [...run.executions.values()].filter((e) => e.env.MODELSHIP_RUN_ID === message.runId);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.args).toEqual(loadTestArgs(message));
    expect(mine[0]?.env.MODELSHIP_SERVING_IMAGE).toBe(message.image);
    const stage = (await store.getRun(message.runId))?.stages['load-test'];
    expect(stage).toMatchObject({
      status: 'running',
      details: { scenario: message.scenario, execution: expect.stringContaining(`${JOB}/executions/`) },
    });
  });

  it('throws (so Pub/Sub redelivers) when the job cannot run, and the redelivery launches it', async () => {
    const message = request('20261125-150000-bbbbbb');
    const broken = createJobRunner(client, `${JOB}-missing`);
    await expect(launchLoadTest(message, { store, jobs: broken, log })).rejects.toBeInstanceOf(TransientError);
    await launchLoadTest(message, { store, jobs: createJobRunner(client, JOB), log });
    expect([...run.executions.values()].filter((e) => e.env.MODELSHIP_RUN_ID === message.runId)).toHaveLength(1);
  });
});
