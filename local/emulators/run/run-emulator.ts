import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadGoogleApi, serviceOf } from '../google-api/load-api.js';
import { Operations } from '../google-api/operations.js';
import { ContainerTasks } from './container-tasks.js';
import { startExecution, type RunningExecution } from './execution.js';
import { applyOverrides, type EmulatedJob, type RunJobOverrides } from './job.js';
import { processRuntime } from './process-tasks.js';
import type { RunningTask, TaskRuntime } from './task.js';

export type { CommandJob, EmulatedJob, ImageJob } from './job.js';

export interface RunEmulatorOptions {
  port?: number;
  /** By full name, `projects/P/locations/L/jobs/J`. */
  jobs: Record<string, EmulatedJob>;
  /** Each execution's output goes to `<logDir>/<execution id>.log` (its logUri), one line prefixed per task. */
  logDir: string;
  /** Environment the host processes of command jobs inherit (containers get only their job's). */
  env?: NodeJS.ProcessEnv;
}

export interface RunEmulator {
  port: number;
  /**
   * Executions by name, with what their tasks run (for tests and the local stack's progress), and the host process
   * of each running process task, by index (a test kills one by it, as a machine failure would), and when it ends.
   */
  executions: Map<
    string,
    {
      job: string;
      args: string[];
      env: Record<string, string>;
      taskCount: number;
      pids: Map<number, number>;
      ended: Promise<void>;
    }
  >;
  /** Cancels every execution still running and removes every container it started. */
  stop(): Promise<void>;
}

interface RunJobRequest {
  name: string;
  validateOnly?: boolean;
  overrides?: RunJobOverrides | null;
}

type Wire = Record<string, unknown>;
/** Cloud Run's bound on an execution's tasks: "up to 10,000 tasks" (cloud.google.com/run/docs/create-jobs). */
const MAX_TASK_COUNT = 10_000;
const EXECUTION = 'google.cloud.run.v2.Execution';

/**
 * google.cloud.run.v2 Jobs.RunJob and Executions.GetExecution over gRPC, from the protos @google-cloud/run ships,
 * so the real JobsClient runs unchanged against it. RunJob answers at once with the Operation; the execution's
 * tasks run on (as containers of the job's image, or host processes for a command job) and the Operation is done
 * with the Execution once they have all ended, failed or not.
 */
export async function startRunEmulator(options: RunEmulatorOptions): Promise<RunEmulator> {
  const api = loadGoogleApi('@google-cloud/run', [
    'google/cloud/run/v2/job.proto',
    'google/cloud/run/v2/execution.proto',
  ]);
  const operations = new Operations(api);
  const server = new grpc.Server();
  const containers = new ContainerTasks();
  // Built up front so that a job the emulator cannot run (a bad limit) fails its start, not a RunJob.
  const runtimes = new Map<string, TaskRuntime>(
    Object.entries(options.jobs).map(([name, job]) => [
      name,
      'image' in job ? containers.runtimeFor(job) : processRuntime(job, options.env ?? process.env),
    ]),
  );
  const executions: RunEmulator['executions'] = new Map();
  const running = new Map<string, RunningExecution>();
  const wires = new Map<string, Wire>();
  mkdirSync(options.logDir, { recursive: true });

  const runJob = (request: RunJobRequest): Wire => {
    const job = options.jobs[request.name];
    const runtime = runtimes.get(request.name);
    if (!job || !runtime) throw { code: grpc.status.NOT_FOUND, details: `Resource '${request.name}' was not found` };
    const run = applyOverrides(job, request.overrides);
    if (!(Number.isInteger(run.taskCount) && run.taskCount >= 1 && run.taskCount <= MAX_TASK_COUNT))
      throw {
        code: grpc.status.INVALID_ARGUMENT,
        details: `task_count must be between 1 and ${MAX_TASK_COUNT}, found ${run.taskCount}`,
      };
    const id = `${request.name.split('/').at(-1)}-${randomBytes(3).toString('hex')}`;
    const name = `${request.name}/executions/${id}`;
    const pids = new Map<number, number>();
    let end: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (end = resolve));
    executions.set(name, { job: request.name, args: run.args, env: run.env, taskCount: run.taskCount, pids, ended });
    const onTask = (index: number, task: RunningTask): void => {
      if (task.pid !== undefined) pids.set(index, task.pid);
    };
    const execution = startExecution(
      { job: request.name, id, run, logFile: join(options.logDir, `${id}.log`), onTask },
      runtime,
      // Called only once the execution has started, after the Operation below exists.
      (wire, done) => {
        operations.updateMetadata(op.name, EXECUTION, wire);
        if (!done) return;
        operations.finish(op.name, EXECUTION, wire);
        running.delete(name);
        end();
      },
    );
    wires.set(name, execution.wire);
    running.set(name, execution);
    const op = operations.start(request.name.replace(/\/jobs\/.*$/, ''), EXECUTION, execution.wire);
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
      await Promise.all([...running.values()].map((execution) => execution.cancel()));
      await containers.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}
