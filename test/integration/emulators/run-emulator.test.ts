import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ExecutionsClient, JobsClient, protos } from '@google-cloud/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLines } from '../../../local/emulators/run/execution-log.js';
import { startRunEmulator, type RunEmulator } from '../../../local/emulators/run/run-emulator.js';
import { createJobRunner } from '../../../shared/gcp/cloud-run.js';

// Inside unpacked operation results, enums are numbers (the client decodes Any without enum names).
const { State } = protos.google.cloud.run.v2.Condition;
const JOB = 'projects/p/locations/europe-west1/jobs/modelship-loadtest';
const PRINT =
  'console.log(JSON.stringify({ args: process.argv.slice(1), who: process.env.WHO, run: process.env.RUN })); process.exit(Number(process.env.EXIT ?? 0))';

let emulator: RunEmulator;
let jobs: JobsClient;
let executions: ExecutionsClient;
const logDir = mkdtempSync(join(tmpdir(), 'modelship-run-'));

beforeAll(async () => {
  process.env.METADATA_SERVER_DETECTION = 'none';
  emulator = await startRunEmulator({
    logDir,
    jobs: { [JOB]: { command: [process.execPath, '-e', PRINT, '--'], args: ['default-arg'], env: { WHO: 'job' } } },
  });
  const client = { apiEndpoint: '127.0.0.1', port: emulator.port, sslCreds: grpc.credentials.createInsecure() };
  jobs = new JobsClient(client);
  executions = new ExecutionsClient(client);
});

afterAll(async () => {
  await Promise.all([jobs?.close(), executions?.close()]);
  await emulator?.stop();
  rmSync(logDir, { recursive: true, force: true });
});

describe('Cloud Run emulator, driven by the real @google-cloud/run clients', () => {
  it('runs an execution with the overrides, and the operation completes with the Execution', async () => {
    const [operation] = await jobs.runJob({
      name: JOB,
      overrides: {
        containerOverrides: [{ args: ['--target', 'x:1'], env: [{ name: 'RUN', value: 'r1' }] }],
        timeout: { seconds: 60 },
      },
    });
    const [execution] = await operation.promise();
    expect(execution.succeededCount).toBe(1);
    expect(execution.conditions?.[0]).toMatchObject({ type: 'Completed', state: State.CONDITION_SUCCEEDED });
    expect(logLines(String(execution.logUri), 'task 0').map((l) => JSON.parse(l))).toEqual([
      { args: ['--target', 'x:1'], who: 'job', run: 'r1' },
    ]);

    const [fetched] = await executions.getExecution({ name: String(execution.name) });
    expect(fetched.name).toBe(execution.name);
    expect(fetched.job).toBe(JOB);
  });

  it("keeps the image's args without overrides, clears them with clearArgs, and reports a failed task", async () => {
    const runner = createJobRunner(jobs, JOB);
    const { execution } = await runner.run({ args: [], env: { EXIT: '3' }, taskCount: 1, timeoutS: 60 });
    expect(execution).toMatch(new RegExp(`^${JOB}/executions/modelship-loadtest-[0-9a-f]{6}$`));
    const [op] = await jobs.runJob({ name: JOB });
    const [kept] = await op.promise();
    expect(JSON.parse(logLines(String(kept.logUri), 'task 0')[0]!).args).toEqual(['default-arg']);

    const record = emulator.executions.get(execution);
    expect(record?.args).toEqual([]);
    const [failing] = await jobs.runJob({
      name: JOB,
      overrides: { containerOverrides: [{ env: [{ name: 'EXIT', value: '3' }] }] },
    });
    const done = await jobs.checkRunJobProgress(String(failing.name));
    const [failed] = await done.promise();
    expect(failed.failedCount).toBe(1);
    expect(failed.conditions?.[0]).toMatchObject({
      state: State.CONDITION_FAILED,
      message: `Task ${String(failed.name).split('/').at(-1)}-task0 failed with message: The container exited with an error (exit code 3).`,
    });
  });

  it('answers NOT_FOUND for an unknown job, and the runner says what to check', async () => {
    await expect(
      createJobRunner(jobs, `${JOB}-nope`).run({ args: [], env: {}, taskCount: 1, timeoutS: 10 }),
    ).rejects.toThrow(/running job .*modelship-loadtest-nope failed.*runWithOverrides/);
  });

  it("refuses a task count beyond Cloud Run's bound, as Cloud Run does", async () => {
    await expect(
      jobs.runJob({ name: JOB, overrides: { taskCount: 10_001, timeout: { seconds: 60 } } }),
    ).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'task_count must be between 1 and 10000, found 10001',
    });
  });
});
