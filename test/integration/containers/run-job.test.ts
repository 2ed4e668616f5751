import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ExecutionsClient, JobsClient, protos } from '@google-cloud/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushImage } from '../../../local/containers/images.js';
import { podman } from '../../../local/containers/podman.js';
import { EXECUTION_LABEL, TASK_INDEX_LABEL } from '../../../local/emulators/run/container-tasks.js';
import { logLines } from '../../../local/emulators/run/execution-log.js';
import { startRunEmulator, type EmulatedJob, type RunEmulator } from '../../../local/emulators/run/run-emulator.js';
import { waitUntil } from '../../../local/wait-until.js';
import { startEchoServer, type EchoServer } from '../../../loadtest/testing/echo-server.js';
import { encodePredictResponse } from '../../../shared/tfserving/codec.js';
import { localImages } from '../../support/local-images.js';

// Inside unpacked operation results, enums are numbers (the client decodes Any without enum names).
const { State, ExecutionReason } = protos.google.cloud.run.v2.Condition;
type Execution = protos.google.cloud.run.v2.IExecution;

const JOBS = 'projects/run-job-test/locations/local/jobs';
const LOAD_TEST = `${JOBS}/modelship-loadtest`;
const PROBE = `${JOBS}/probe`;
const PROBE_3 = `${JOBS}/probe-three`;
const MISSING = `${JOBS}/missing-image`;

/**
 * The probe image: the load tester's image with node as its entrypoint, printing what a task sees and exiting as its
 * env says (Cloud Run's overrides cannot replace an entrypoint, so the job's image has to be one that prints).
 */
const PROBE_SCRIPT = [
  'const e = process.env;',
  'console.log(JSON.stringify({ args: process.argv.slice(1), who: e.WHO, run: e.RUN, job: e.CLOUD_RUN_JOB,',
  '  execution: e.CLOUD_RUN_EXECUTION, index: e.CLOUD_RUN_TASK_INDEX, count: e.CLOUD_RUN_TASK_COUNT,',
  '  attempt: e.CLOUD_RUN_TASK_ATTEMPT }));',
  'const fails = e.FAIL_INDEX === undefined || e.FAIL_INDEX === e.CLOUD_RUN_TASK_INDEX;',
  'setTimeout(() => process.exit(fails ? Number(e.EXIT ?? 0) : 0), Number(e.SLEEP_MS ?? 0));',
].join(' ');

const dir = mkdtempSync(join(tmpdir(), 'modelship-run-job-'));
const probeTag = `localhost/modelship-test/run-probe:${Date.now()}`;
let probe: string;
let echo: EchoServer;
let emulator: RunEmulator;
let jobs: JobsClient;
let executions: ExecutionsClient;

const clientOptions = (port: number) => ({
  apiEndpoint: '127.0.0.1',
  port,
  sslCreds: grpc.credentials.createInsecure(),
});

/** Labels of the containers still there for an execution. */
async function containersOf(execution: string): Promise<Array<Record<string, string>>> {
  const out = await podman(['ps', '--all', '--filter', `label=${EXECUTION_LABEL}=${execution}`, '--format', 'json']);
  return (JSON.parse(out || '[]') as Array<{ Labels: Record<string, string> }>).map((c) => c.Labels);
}

async function run(
  client: JobsClient,
  name: string,
  overrides: protos.google.cloud.run.v2.RunJobRequest.IOverrides = {},
): Promise<Execution> {
  const [operation] = await client.runJob({ name, overrides });
  const [execution] = await operation.promise();
  return execution;
}

const taskOutput = (execution: Execution, index: number) =>
  logLines(String(execution.logUri), `task ${index}`).map((line) => JSON.parse(line) as Record<string, unknown>);
const executionId = (execution: Execution) => String(execution.name).split('/').at(-1);

let registry: string;
let loadTester: string;

beforeAll(async () => {
  ({ registry, loadTester } = localImages());
  process.env.METADATA_SERVER_DETECTION = 'none';
  writeFileSync(
    join(dir, 'Containerfile'),
    `FROM ${loadTester}\nENTRYPOINT ${JSON.stringify(['node', '-e', PROBE_SCRIPT, '--'])}\n`,
  );
  await podman(['build', '--tls-verify=false', '-f', join(dir, 'Containerfile'), '-t', probeTag, dir]);
  probe = await pushImage(probeTag, `${registry}/test/run-probe:latest`);

  const signatures = {
    serving_default: {
      name: 'serving_default',
      methodName: 'tensorflow/serving/predict',
      inputs: { x: { name: 'x', dtype: 'DT_FLOAT' as const, shape: [-1, 4] } },
      outputs: { y: { name: 'y', dtype: 'DT_FLOAT' as const, shape: [-1, 2] } },
    },
  };
  const reply = encodePredictResponse({ outputs: { y: { dtype: 'DT_FLOAT', shape: [1, 2], floatVal: [0.25, 0.75] } } });
  echo = await startEchoServer({ latencyMs: 2, reply, tfServing: { model: 'tiny', signatures } });

  const definitions: Record<string, EmulatedJob> = {
    [LOAD_TEST]: { image: loadTester, timeoutS: 120 },
    [PROBE]: { image: probe, args: ['default-arg'], env: { WHO: 'job' } },
    [PROBE_3]: { image: probe, taskCount: 3, limits: { cpu: '500m', memory: '256Mi' } },
    [MISSING]: { image: `${registry}/test/missing@sha256:${'0'.repeat(64)}` },
  };
  emulator = await startRunEmulator({ logDir: join(dir, 'logs'), jobs: definitions });
  jobs = new JobsClient(clientOptions(emulator.port));
  executions = new ExecutionsClient(clientOptions(emulator.port));
});

afterAll(async () => {
  await Promise.all([jobs?.close(), executions?.close()]);
  await emulator?.stop();
  await echo?.stop();
  // The local tag, and the image as the emulator pulled it.
  await podman(['rmi', '--ignore', probeTag, ...(probe ? [probe] : [])]);
  rmSync(dir, { recursive: true, force: true });
});

describe('Cloud Run emulator: a job runs as containers of its image', () => {
  it("runs the load tester's image: a bounded load test against a server on 127.0.0.1 succeeds, its output in the log", async () => {
    const before = echo.received();
    const execution = await run(jobs, LOAD_TEST, {
      containerOverrides: [
        {
          args: ['--target', `127.0.0.1:${echo.grpcPort}`, '--model', 'tiny', '--workers', '0'],
          // The rest as launchLoadTest passes it: MODELSHIP_<FLAG> variables.
          env: [
            { name: 'MODELSHIP_RATE', value: '20' },
            { name: 'MODELSHIP_DURATION', value: '1s' },
            { name: 'MODELSHIP_PROGRESS', value: 'log' },
          ],
        },
      ],
    });
    expect(execution).toMatchObject({ taskCount: 1, succeededCount: 1, failedCount: 0, runningCount: 0 });
    expect(execution.conditions?.[0]).toMatchObject({ type: 'Completed', state: State.CONDITION_SUCCEEDED });
    expect(execution.completionTime).toBeTruthy();
    expect(echo.received() - before).toBeGreaterThan(0);
    const finished = logLines(String(execution.logUri), 'task 0')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { message?: string })
      .find((entry) => entry.message === 'loadtest finished');
    expect(finished).toMatchObject({ passed: true, requests: { total: 20, failed: 0 } });
  });

  it('runs 3 tasks in parallel, each with its CLOUD_RUN_TASK_INDEX, and the overrides replace the args', async () => {
    const execution = await run(jobs, PROBE_3, {
      containerOverrides: [{ args: ['--over', 'ridden'], env: [{ name: 'RUN', value: 'r3' }] }],
    });
    expect(execution).toMatchObject({ taskCount: 3, parallelism: 3, succeededCount: 3, failedCount: 0 });
    const seen = [0, 1, 2].map((index) => taskOutput(execution, index));
    expect(seen).toEqual(
      [0, 1, 2].map((index) => [
        {
          args: ['--over', 'ridden'],
          run: 'r3',
          job: 'probe-three',
          execution: executionId(execution),
          index: String(index),
          count: '3',
          attempt: '0',
        },
      ]),
    );
    expect(await containersOf(String(execution.name))).toEqual([]);
  });

  it("keeps the job's args and env without overrides; GetExecution answers with the Execution", async () => {
    const execution = await run(jobs, PROBE);
    expect(taskOutput(execution, 0)).toEqual([
      expect.objectContaining({ args: ['default-arg'], who: 'job', index: '0', count: '1' }),
    ]);
    const [fetched] = await executions.getExecution({ name: String(execution.name) });
    expect(fetched).toMatchObject({ name: execution.name, job: PROBE, succeededCount: 1 });
  });

  it('fails the execution when a task exits non-zero, naming the task and its exit code', async () => {
    const execution = await run(jobs, PROBE_3, {
      containerOverrides: [
        {
          env: [
            { name: 'FAIL_INDEX', value: '1' },
            { name: 'EXIT', value: '3' },
          ],
        },
      ],
    });
    expect(execution).toMatchObject({ succeededCount: 2, failedCount: 1, runningCount: 0 });
    expect(execution.conditions?.[0]).toMatchObject({
      type: 'Completed',
      state: State.CONDITION_FAILED,
      executionReason: ExecutionReason.NON_ZERO_EXIT_CODE,
      message: `Task ${executionId(execution)}-task1 failed with message: The container exited with an error (exit code 3).`,
    });
    expect(logLines(String(execution.logUri), 'execution')).toEqual([execution.conditions?.[0]?.message]);
  });

  it('kills a task at its timeout and fails the execution with Cloud Run’s words', async () => {
    const started = Date.now();
    const execution = await run(jobs, PROBE, {
      containerOverrides: [{ env: [{ name: 'SLEEP_MS', value: '60000' }] }],
      timeout: { seconds: 2 },
    });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(execution).toMatchObject({ succeededCount: 0, failedCount: 1 });
    expect(execution.conditions?.[0]).toMatchObject({
      state: State.CONDITION_FAILED,
      message: `Task ${executionId(execution)}-task0 failed with message: The configured timeout was reached.`,
    });
    expect(await containersOf(String(execution.name))).toEqual([]);
  });

  it('fails the execution with the registry’s message when the image cannot be pulled', async () => {
    const execution = await run(jobs, MISSING);
    expect(execution).toMatchObject({ succeededCount: 0, failedCount: 1 });
    expect(execution.conditions?.[0]?.state).toBe(State.CONDITION_FAILED);
    expect(execution.conditions?.[0]?.message).toMatch(
      new RegExp(
        `^Task ${executionId(execution)}-task0 failed with message: Image '${registry}/test/missing@sha256:0+' could not be pulled: .*manifest unknown`,
      ),
    );
  });

  it('stopping the emulator kills and removes the containers of a running execution', async () => {
    const own = await startRunEmulator({ logDir: join(dir, 'logs-stop'), jobs: { [PROBE]: { image: probe } } });
    const client = new JobsClient(clientOptions(own.port));
    const reader = new ExecutionsClient(clientOptions(own.port));
    let name = '';
    try {
      const [operation] = await client.runJob({
        name: PROBE,
        overrides: { containerOverrides: [{ env: [{ name: 'SLEEP_MS', value: '60000' }] }] },
      });
      name = String((operation.metadata as Execution).name);
      await waitUntil('the task to run', async () => {
        const [execution] = await reader.getExecution({ name });
        return execution.runningCount === 1 ? true : undefined;
      });
      expect((await containersOf(name)).map((labels) => labels[TASK_INDEX_LABEL])).toEqual(['0']);
    } finally {
      await Promise.all([client.close(), reader.close()]);
      await own.stop();
    }
    expect(await containersOf(name)).toEqual([]);
  });
});
