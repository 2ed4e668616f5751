import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadGoogleApi, serviceOf } from '../google-api/load-api.js';
import { Operations } from '../google-api/operations.js';

/** A Cloud Run job the emulator knows: what its container runs (the image's command and args, and its env). */
export interface EmulatedJob {
  command: string[];
  args?: string[];
  env?: Record<string, string>;
}

export interface RunEmulatorOptions {
  port?: number;
  /** By full name, `projects/P/locations/L/jobs/J`. */
  jobs: Record<string, EmulatedJob>;
  /** Each execution's output goes to `<logDir>/<execution id>.log` (its logUri). */
  logDir: string;
  /** Environment every execution inherits (the emulator addresses of the local stack). */
  env?: NodeJS.ProcessEnv;
}

export interface RunEmulator {
  port: number;
  /** Executions by name, with their exit codes once finished (for tests and the local stack's progress). */
  executions: Map<string, { job: string; args: string[]; env: Record<string, string>; exitCode?: number | null }>;
  stop(): Promise<void>;
}

type Wire = Record<string, unknown>;
interface EnvVar {
  name: string;
  value?: string;
}
interface ContainerOverride {
  name?: string;
  args?: string[];
  env?: EnvVar[];
  clearArgs?: boolean;
}
interface RunJobRequest {
  name: string;
  validateOnly?: boolean;
  overrides?: {
    containerOverrides?: ContainerOverride[];
    taskCount?: number;
    timeout?: { seconds?: string } | null;
  } | null;
}

const EXECUTION = 'google.cloud.run.v2.Execution';
const timestamp = (d: Date) => ({ seconds: String(Math.floor(d.getTime() / 1000)), nanos: (d.getTime() % 1000) * 1e6 });

/**
 * google.cloud.run.v2 Jobs.RunJob and Executions.GetExecution over gRPC, from the protos @google-cloud/run ships,
 * so the real JobsClient runs unchanged against it. An execution is a child process running the job's command with
 * the container overrides applied as Cloud Run applies them: override args replace the image's args (or clear them
 * with clearArgs), override env is added to the job's env.
 */
export async function startRunEmulator(options: RunEmulatorOptions): Promise<RunEmulator> {
  const api = loadGoogleApi('@google-cloud/run', [
    'google/cloud/run/v2/job.proto',
    'google/cloud/run/v2/execution.proto',
  ]);
  const operations = new Operations(api);
  const server = new grpc.Server();
  const executions: RunEmulator['executions'] = new Map();
  const wires = new Map<string, Wire>();
  const children = new Set<ChildProcess>();
  mkdirSync(options.logDir, { recursive: true });

  const runJob = (request: RunJobRequest): Wire => {
    const job = options.jobs[request.name];
    if (!job) throw { code: grpc.status.NOT_FOUND, details: `Resource '${request.name}' was not found` };
    const override = request.overrides?.containerOverrides?.[0];
    const args = override?.args?.length ? override.args : override?.clearArgs ? [] : (job.args ?? []);
    const env = { ...job.env, ...Object.fromEntries((override?.env ?? []).map((e) => [e.name, e.value ?? ''])) };
    const id = `${request.name.split('/').at(-1)}-${randomBytes(3).toString('hex')}`;
    const name = `${request.name}/executions/${id}`;
    const logFile = join(options.logDir, `${id}.log`);
    const now = new Date();
    const execution: Wire = {
      name,
      uid: randomUUID(),
      job: request.name,
      createTime: timestamp(now),
      startTime: timestamp(now),
      taskCount: 1,
      parallelism: 1,
      runningCount: 1,
      logUri: `file://${logFile}`,
      reconciling: true,
      conditions: [{ type: 'Ready', state: 'CONDITION_PENDING', message: 'running' }],
    };
    wires.set(name, execution);
    executions.set(name, { job: request.name, args, env });
    const op = operations.start(request.name.replace(/\/jobs\/.*$/, ''), EXECUTION, execution);

    const fd = openSync(logFile, 'a');
    const [command = '', ...commandArgs] = job.command;
    // The variables Cloud Run sets in every task.
    const runtime = {
      CLOUD_RUN_JOB: request.name.split('/').at(-1) ?? '',
      CLOUD_RUN_EXECUTION: id,
      CLOUD_RUN_TASK_INDEX: '0',
      CLOUD_RUN_TASK_COUNT: '1',
    };
    const child = spawn(command, [...commandArgs, ...args], {
      env: { ...options.env, ...env, ...runtime },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    children.add(child);
    const seconds = Number(request.overrides?.timeout?.seconds ?? 0);
    const timer = seconds > 0 ? setTimeout(() => child.kill('SIGKILL'), seconds * 1000) : undefined;
    child.once('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      const ok = code === 0;
      Object.assign(execution, {
        completionTime: timestamp(new Date()),
        runningCount: 0,
        succeededCount: ok ? 1 : 0,
        failedCount: ok ? 0 : 1,
        reconciling: false,
        conditions: [
          {
            type: 'Completed',
            state: ok ? 'CONDITION_SUCCEEDED' : 'CONDITION_FAILED',
            message: ok ? 'Execution completed successfully.' : `Task exited with code ${code}; see ${logFile}`,
          },
        ],
      });
      const record = executions.get(name);
      if (record) record.exitCode = code;
      operations.updateMetadata(op.name, EXECUTION, execution);
      operations.finish(op.name, EXECUTION, execution);
    });
    return Operations.toWire(op);
  };

  server.addService(serviceOf(api, 'google.cloud.run.v2.Jobs'), {
    runJob: (call: grpc.ServerUnaryCall<RunJobRequest, Wire>, callback: grpc.sendUnaryData<Wire>) => {
      try {
        callback(null, runJob(call.request));
      } catch (err) {
        callback(err as grpc.ServiceError);
      }
    },
  });
  server.addService(serviceOf(api, 'google.cloud.run.v2.Executions'), {
    getExecution: (call: grpc.ServerUnaryCall<{ name: string }, Wire>, callback: grpc.sendUnaryData<Wire>) => {
      const execution = wires.get(call.request.name);
      if (execution) callback(null, execution);
      else callback({ code: grpc.status.NOT_FOUND, details: `Resource '${call.request.name}' was not found` });
    },
  });
  operations.addTo(server);

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    port,
    executions,
    async stop() {
      await Promise.all(
        [...children].map(
          (child) =>
            new Promise<void>((resolve) => {
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            }),
        ),
      );
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}
