import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ExecutionsClient, JobsClient } from '@google-cloud/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRunEmulator, type RunEmulator } from '../../../local/emulators/run/run-emulator.js';
import { TransientError } from '../../../shared/errors.js';
import { clientOptions } from '../../../shared/gcp/client-options.js';
import { createExecutionReader, createJobRunner, type JobRunner } from '../../../shared/gcp/cloud-run.js';
import { deadlines } from '../../../shared/deadline.js';
import { ClaimBusyError } from '../../../shared/idempotency.js';
import { launchLoadTest, loadTestArgs, ratePerTask, SEED_REQUEST_BYTES } from '../../../shared/launch-load-test.js';
import { loadTestOptions, parseArgsOptions } from '../../../loadtest/options.js';
import { createMemoryLogger } from '../../support/memory-logger.js';
import { SAMPLE_PARAMETERS } from '../../support/serving-parameters.js';
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
    jobs: {
      [JOB]: { command: [process.execPath, '-e', 'process.exit(0)', '--'] },
      [`${JOB}-failing`]: { command: [process.execPath, '-e', 'process.exit(3)', '--'] },
    },
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

const deps = (jobs: JobRunner) => ({ store, jobs, log, deadlines: deadlines(600) });
/** The run as the deploy leaves it: the scenario's image, the endpoint and the parameters it recorded. */
const deployed = (m: LoadTestRequested) =>
  store.createRun({
    runId: m.runId,
    scenarios: { [m.scenario]: { status: 'running', image: m.image, endpoint: m.target, deployed: SAMPLE_PARAMETERS } },
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
    await deployed(message);
    const both = await Promise.allSettled([launchLoadTest(message, deps(jobs)), launchLoadTest(message, deps(jobs))]);
    await launchLoadTest(message, deps(jobs));
    for (const r of both) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ClaimBusyError);
    const mine = [...run.executions.values()].filter((e) => e.env.MODELSHIP_RUN_ID === message.runId);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.args).toEqual(loadTestArgs(message));
    expect(mine[0]?.env.MODELSHIP_SERVING_IMAGE).toBe(message.image);
    // What was measured, for the report: the load tester reads it back as it is.
    const { values } = parseArgs({ args: mine[0]!.args, options: parseArgsOptions() });
    expect(loadTestOptions(values, mine[0]!.env).deployment).toEqual({
      scenario: message.scenario,
      arm: 'release',
      runId: message.runId,
      image: message.image,
      model: 'resnet',
      parameters: SAMPLE_PARAMETERS,
    });
    // The seed's 150 users thinking 1 s send up to 148.5 req/s of 602 KB: more than one task's network share.
    expect(mine[0]?.taskCount).toBe(2);
    const stage = (await store.getRun(message.runId))?.stages['load-test'];
    expect(stage).toMatchObject({
      status: 'running',
      details: { scenario: message.scenario, execution: expect.stringContaining(`${JOB}/executions/`) },
    });
    const record = await store.getRun(message.runId);
    const [name] = [...run.executions].filter(([, e]) => e.env.MODELSHIP_RUN_ID === message.runId).map(([n]) => n);
    expect(record?.scenarios?.[message.scenario]?.execution).toBe(name);
    expect(record?.deadline).toMatchObject({ stage: 'load-test', scenario: message.scenario });
  });

  it('runs a rate beyond one task as one execution of as many tasks as it needs', async () => {
    const message = request('20261125-150000-dddddd', {
      users: undefined,
      rate: 2 * ratePerTask(SEED_REQUEST_BYTES) + 1,
    });
    await deployed(message);
    await launchLoadTest(message, deps(createJobRunner(client, JOB)));
    const mine = [...run.executions.values()].filter((e) => e.env.MODELSHIP_RUN_ID === message.runId);
    expect(mine.map((e) => e.taskCount)).toEqual([3]);
    expect(mine[0]?.args).toEqual(loadTestArgs(message));
  });

  it.each([
    ['the metadata server', { target: '169.254.169.254:80' }],
    ['an address inside the VPC', { target: '10.255.255.1:8500' }],
    ['another image', { image: `r/m@sha256:${'f'.repeat(64)}` }],
  ])('refuses a request aimed at %s: only what the deploy recorded is load-tested', async (_, forged) => {
    const message = request(`20261125-150000-f${Object.keys(forged)[0]!.length}${_.length}`);
    await deployed(message);
    await expect(launchLoadTest({ ...message, ...forged }, deps(createJobRunner(client, JOB)))).rejects.toThrow(
      /but the deploy recorded dns:\/\/\/tfs-server-headless:8500 and r\/m@sha256:a+: refused/,
    );
    expect([...run.executions.values()].filter((e) => e.env.MODELSHIP_RUN_ID === message.runId)).toEqual([]);
  });

  it('refuses a request for a run that does not exist', async () => {
    const message = request('20261125-150000-cccccc');
    await expect(launchLoadTest(message, deps(createJobRunner(client, JOB)))).rejects.toThrow(
      /run 20261125-150000-cccccc, which does not exist: refused/,
    );
    expect(await store.getRun(message.runId)).toBeUndefined();
  });

  it("reads an execution's end as the run watcher needs it: succeeded, or failed with Cloud Run's reason", async () => {
    const executions = createExecutionReader(new ExecutionsClient(clientOptions(`127.0.0.1:${run.port}`)));
    // Run to the end: the RunJob operation completes with the execution.
    const ran = async (job: string) => {
      const [operation] = await client.runJob({ name: job });
      await operation.promise().catch(() => undefined);
      return (operation.metadata as { name: string }).name;
    };
    expect(await executions.get(await ran(JOB))).toMatchObject({ done: true, succeeded: true });
    expect(await executions.get(await ran(`${JOB}-failing`))).toMatchObject({
      done: true,
      succeeded: false,
      message: expect.stringMatching(/failed with message: The container exited with an error \(exit code 3\)/),
    });
    expect(await executions.get(`${JOB}/executions/none`)).toBeUndefined();
  });

  it('throws (so Pub/Sub redelivers) when the job cannot run, and the redelivery launches it', async () => {
    const message = request('20261125-150000-bbbbbb');
    await deployed(message);
    const broken = createJobRunner(client, `${JOB}-missing`);
    await expect(launchLoadTest(message, deps(broken))).rejects.toBeInstanceOf(TransientError);
    await launchLoadTest(message, deps(createJobRunner(client, JOB)));
    expect([...run.executions.values()].filter((e) => e.env.MODELSHIP_RUN_ID === message.runId)).toHaveLength(1);
  });
});
