import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ExecutionsClient, JobsClient } from '@google-cloud/run';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskResult } from '../../loadtest/task-result.js';
import type { Summary } from '../../loadtest/summary.js';
import { startRunEmulator, type RunEmulator } from '../../local/emulators/run/run-emulator.js';
import { resolveSimOptions, startTfServingSim, type TfServingSim } from '../../local/tfserving-sim/index.js';
import { deadlines } from '../../shared/deadline.js';
import { distPath } from '../../shared/paths.js';
import { clientOptions } from '../../shared/gcp/client-options.js';
import { createExecutionReader, createJobRunner } from '../../shared/gcp/cloud-run.js';
import { createPublisher } from '../../shared/gcp/publisher.js';
import { createFirestoreStore, type Store } from '../../shared/store.js';
import { writeFixtureSavedModel } from '../../shared/tfserving/index.js';
import { TOPICS } from '../../shared/topics.js';
import { watchRuns } from '../../shared/watch-runs.js';
import { subscribe, testProject, type Inbox, type TestProject } from '../support/emulators.js';
import { createMemoryLogger } from '../support/memory-logger.js';

/**
 * One load test as three Cloud Run tasks, through the Cloud Run emulator (each task a `modelship loadtest` process
 * with Cloud Run's variables) against the TF Serving simulator, with the pipeline's Pub/Sub, Firestore and a
 * directory as the report bucket: one merged result, exactly the tasks' together; and a task killed, no result.
 */

const JOB = 'projects/p/locations/l/jobs/modelship-loadtest';
const SCENARIO = 'tasks';
const IMAGE = `r/m@sha256:${'a'.repeat(64)}`;
const RATE = 60;
const DURATION_S = 3;
let dir: string;
let reportDir: string;
let project: TestProject;
let store: Store;
let sim: TfServingSim;
let run: RunEmulator;
let jobs: JobsClient;
let executions: ExecutionsClient;
let finished: Inbox;
let failed: Inbox;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadtest-tasks-'));
  reportDir = join(dir, 'reports');
  project = await testProject();
  store = createFirestoreStore(project.firestore);
  [finished, failed] = await Promise.all([
    subscribe(project.pubsub, TOPICS.loadTestFinished),
    subscribe(project.pubsub, TOPICS.pipelineFailed),
  ]);
  const { basePath } = await writeFixtureSavedModel(dir, { modelName: 'resnet' });
  const simOptions = await resolveSimOptions({ model_name: 'resnet', model_base_path: basePath, load_time_ms: '10' });
  sim = await startTfServingSim({ ...simOptions, port: 0, restApiPort: 0, fixedLatencyMs: 3 });
  run = await startRunEmulator({
    logDir: join(dir, 'logs'),
    jobs: {
      [JOB]: {
        // The built CLI, as the local stack runs it (npx tsc -p tsconfig.build.json first): three processes start
        // at once on a shared machine, and transpiling the sources in each would take most of the test's time.
        command: [process.execPath, distPath('cli/main.js'), 'loadtest'],
        env: { GOOGLE_CLOUD_PROJECT: project.projectId, REPORT_BUCKET: pathToFileURL(reportDir).href },
      },
    },
  });
  jobs = new JobsClient(clientOptions(`127.0.0.1:${run.port}`));
  executions = new ExecutionsClient(clientOptions(`127.0.0.1:${run.port}`));
}, 120_000);
afterAll(async () => {
  await Promise.all([jobs?.close(), executions?.close(), finished?.close(), failed?.close()]);
  await run?.stop();
  await sim?.stop();
  await project?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Starts the test of `runId` as `taskCount` tasks, as launchLoadTest does, and returns its execution's name. */
async function launch(runId: string, taskCount: number): Promise<string> {
  await store.createRun({
    runId,
    scenarios: { [SCENARIO]: { status: 'running', image: IMAGE, endpoint: `127.0.0.1:${sim.grpcPort}` } },
  });
  const args = ['--target', `127.0.0.1:${sim.grpcPort}`, '--model', 'resnet', '--scenario', SCENARIO];
  args.push('--rate', String(RATE), '--duration', `${DURATION_S}s`, '--warmup', '1s', '--timeout', '2s');
  args.push('--workers', '1', '--threshold', 'errors<1%', '--progress', 'log');
  const env = { MODELSHIP_RUN_ID: runId, MODELSHIP_SERVING_IMAGE: IMAGE };
  const { execution } = await createJobRunner(jobs, JOB).run({ args, env, taskCount, timeoutS: 120 });
  await store.setScenarios(runId, { [SCENARIO]: { execution } });
  return execution;
}

/** The execution as GetExecution answers once it has ended. */
async function ended(execution: string) {
  await run.executions.get(execution)?.ended;
  const [done] = await executions.getExecution({ name: execution });
  return done;
}

const taskObject = async <T>(runId: string, index: number, kind: string): Promise<T> =>
  JSON.parse(
    await readFile(join(reportDir, 'runs', runId, SCENARIO, 'tasks', String(index), `${kind}.json`), 'utf8'),
  ) as T;

describe('a load test as three Cloud Run tasks', () => {
  it('merges the tasks into one result: counts summed, p99 of every latency, the rate split exactly', async () => {
    const runId = 'tasks-merged';
    const execution = await launch(runId, 3);
    const done = await ended(execution);
    expect(done).toMatchObject({ taskCount: 3, succeededCount: 3, failedCount: 0 });

    const results = await Promise.all([0, 1, 2].map((i) => taskObject<TaskResult>(runId, i, 'result')));
    const saved = await store.loadTest(runId, SCENARIO);
    const merged = JSON.parse(String(saved?.summaryJson)) as Summary;
    const summaryFile = JSON.parse(await readFile(join(reportDir, 'runs', runId, SCENARIO, 'summary.json'), 'utf8'));
    expect(summaryFile).toEqual(merged);

    // The rate split exactly: each task scheduled a third of the plan's RATE x DURATION requests.
    const scheduled = (s: Summary) => s.requests.total + s.requests.warmup + s.requests.dropped;
    expect(results.map((r) => scheduled(r.summary))).toEqual([1, 1, 1].map(() => (RATE * DURATION_S) / 3));
    expect(scheduled(merged)).toBe(RATE * DURATION_S);
    // Every task's threads took its share of one plan.
    expect(results.map((r) => r.task)).toEqual([0, 1, 2].map((index) => ({ index, count: 3 })));

    expect(merged.requests.total).toBe(results.reduce((n, r) => n + r.summary.requests.total, 0));
    expect(merged.requests.total).toBeGreaterThan(0);
    expect(merged.requests.failed).toBe(0);

    // The merged p99 is the p99 of all latencies together: the union of the tasks' histograms, exactly.
    const union = decodeFromCompressedBase64(results[0]!.summary.histogram);
    // Another task's slowest reply may lie beyond the first one's range: let the union grow, as the merge does.
    union.autoResize = true;
    for (const r of results.slice(1)) union.add(decodeFromCompressedBase64(r.summary.histogram));
    const maxUs = Math.max(...results.map((r) => Math.round(r.summary.latencyMs.max! * 1000)));
    expect(merged.latencyMs.p99).toBe(Math.round(Math.min(union.getValueAtPercentile(99), maxUs)) / 1000);
    expect(decodeFromCompressedBase64(merged.histogram).totalCount).toBe(union.totalCount);
    expect(merged.passed).toBe(true);

    const message = await finished.first((b) => (b as { runId?: string }).runId === runId, 30_000);
    expect(JSON.parse(message.data.toString('utf8'))).toMatchObject({
      type: 'LoadTestFinished',
      runId,
      summary: { requests: merged.requests.total, p99Ms: merged.latencyMs.p99 },
    });
  }, 120_000);

  it('fails the test with the killed task’s reason, and publishes and stores no result', async () => {
    const runId = 'tasks-killed';
    const execution = await launch(runId, 3);
    const readyFile = join(reportDir, 'runs', runId, SCENARIO, 'tasks', '1', 'ready.json');
    // Task 1 is killed once it is ready: the others start with it, and it never reports.
    await until(() => existsSync(readyFile) && run.executions.get(execution)?.pids.has(1) === true);
    process.kill(run.executions.get(execution)!.pids.get(1)!, 'SIGKILL');
    const done = await ended(execution);
    expect(done.failedCount).toBeGreaterThanOrEqual(1);
    const name = execution.split('/').at(-1);
    expect(done.conditions?.[0]?.message).toBe(
      `Task ${name}-task1 failed with message: The container exited with an error (killed by signal SIGKILL).`,
    );

    // The watcher speaks for the execution: the run fails with Cloud Run's reason for that task.
    const completedAt = new Date(Number(done.completionTime!.seconds) * 1000);
    await watchRuns(
      { type: 'WatchRuns', version: 1 },
      {
        store,
        publish: createPublisher(project.pubsub),
        log: createMemoryLogger(),
        executions: createExecutionReader(executions),
        deadlines: deadlines(600),
        now: () => new Date(completedAt.getTime() + 600_000),
      },
    );
    const failure = await failed.first((b) => (b as { runId?: string }).runId === runId, 30_000);
    expect(JSON.parse(failure.data.toString('utf8'))).toMatchObject({
      type: 'PipelineFailed',
      stage: 'load-test',
      scenario: SCENARIO,
      reason: `the load-test job's execution ${execution} failed: Task ${name}-task1 failed with message: The container exited with an error (killed by signal SIGKILL).`,
    });

    const published = await finished.drain(project.pubsub.topic(TOPICS.loadTestFinished));
    expect(published.filter((m) => m.data.toString('utf8').includes(runId))).toEqual([]);
    expect(await store.loadTest(runId, SCENARIO)).toBeUndefined();
    expect(existsSync(join(reportDir, 'runs', runId, SCENARIO, 'summary.json'))).toBe(false);
    // The other tasks ran and reported; none of them wrote a failure of its own.
    await expect(taskObject(runId, 2, 'result')).resolves.toMatchObject({ task: { index: 2, count: 3 } });
    expect(existsSync(join(reportDir, 'runs', runId, SCENARIO, 'tasks', '0', 'failed.json'))).toBe(false);
  }, 120_000);
});

/** Waits for a condition of the file system and the emulator: checked every 20 ms, for at most 60 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the condition never held within 60 s');
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
  }
}
