import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { PubSub } from '@google-cloud/pubsub';
import { TOPICS } from '../../../shared/topics.js';
import { loadGoogleApi, serviceOf } from '../google-api/load-api.js';
import { Operations } from '../google-api/operations.js';
import { toProto3Json } from './build-json.js';
import { startBuildLogs } from './build-logs.js';
import { STOPPED, runBuild } from './run-build.js';
import type { StepExecutor } from './step-executor.js';
import {
  acceptBuild,
  buildFilter,
  timestamp,
  type CreateBuildRequest,
  type Wire,
  type WireBuild,
} from './wire-build.js';

/**
 * google.devtools.cloudbuild.v1.CloudBuild (CreateBuild, GetBuild, ListBuilds) and google.longrunning.Operations over
 * gRPC, from the protos @google-cloud/cloudbuild ships, so the real CloudBuildClient runs unchanged against it. A build
 * runs for real on this machine, each step a container of its image (container-step.ts), and every change of state is published to `cloud-builds` as Cloud
 * Build publishes it: the Build in proto3 JSON, attributes `buildId` and `status`.
 */

export interface CloudBuildEmulatorOptions {
  port?: number;
  /** The Pub/Sub client of the project whose `cloud-builds` topic gets the notifications. */
  pubsub: PubSub;
  /** How steps run: as containers (container-step.ts) or in this process (step-runner.ts). */
  executeStep: StepExecutor;
  /** Builds' workspaces and logs go under it. */
  workDir: string;
  /** Secret Manager as the builds see it: version name (`projects/P/secrets/S/versions/latest`) → value. */
  secrets?: Record<string, string>;
  /** Builds running at once; the others wait QUEUED. */
  concurrency?: number;
}

export interface CloudBuildEmulator {
  port: number;
  /** The value of CLOUD_BUILD_EMULATOR_HOST. */
  host: string;
  /** Where the build logs are served (a build's logUrl is `<logsUrl>/<id>`). */
  logsUrl: string;
  /** A build's log so far. */
  logOf(id: string): string | undefined;
  /** Resolves when every build submitted so far has finished. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

interface Entry {
  build: WireBuild;
  operation: string;
  notified: Promise<void>;
  done: Promise<void>;
  abort: AbortController;
}

const BUILD = 'google.devtools.cloudbuild.v1.Build';
const METADATA = 'google.devtools.cloudbuild.v1.BuildOperationMetadata';

export async function startCloudBuildEmulator(options: CloudBuildEmulatorOptions): Promise<CloudBuildEmulator> {
  const api = loadGoogleApi('@google-cloud/cloudbuild', ['google/devtools/cloudbuild/v1/cloudbuild.proto']);
  api.root.resolveAll();
  const buildType = api.root.lookupType(BUILD);
  const operations = new Operations(api);
  const logs = await startBuildLogs(join(options.workDir, 'logs'));
  const builds = new Map<string, Entry>();
  const waiting: Array<() => void> = [];
  let running = 0;
  const topic = options.pubsub.topic(TOPICS.cloudBuilds);

  /** Notifications go out in order, each a snapshot of the build at that moment. */
  const notify = (entry: Entry) => {
    const data = Buffer.from(JSON.stringify(toProto3Json(buildType, entry.build)));
    const attributes = { buildId: entry.build.id, status: entry.build.status };
    entry.notified = entry.notified
      .then(async () => void (await topic.publishMessage({ data, attributes })))
      .catch((err: unknown) =>
        console.error(
          `cloudbuild emulator: notifying ${attributes.status} of build ${attributes.buildId} failed: ${String(err)}`,
        ),
      );
    return entry.notified;
  };

  async function execute(entry: Entry): Promise<void> {
    const { build } = entry;
    const log = logs.open(build.id);
    try {
      await runBuild(build, {
        workDir: options.workDir,
        executeStep: options.executeStep,
        secrets: options.secrets ?? {},
        log,
        abort: entry.abort,
        notify: () => notify(entry),
      });
    } finally {
      logs.close(build.id);
    }
  }

  /** The end of a build: its operation done, with the Build as its result. */
  function finalize({ build, operation }: Entry): void {
    operations.updateMetadata(operation, METADATA, { build });
    operations.finish(operation, BUILD, build);
  }

  const schedule = (entry: Entry) =>
    new Promise<void>((resolve) => waiting.push(resolve)).then(async () => {
      if (entry.abort.signal.aborted) {
        Object.assign(entry.build, { status: 'CANCELLED', finishTime: timestamp(), statusDetail: STOPPED.message });
      } else {
        running++;
        try {
          await execute(entry);
        } finally {
          running--;
          pump();
        }
      }
      finalize(entry);
      await notify(entry);
    });
  const pump = () => {
    while (running < (options.concurrency ?? 2) && waiting.length) waiting.shift()?.();
  };

  function createBuild(request: CreateBuildRequest): Wire {
    const id = randomUUID();
    const build = acceptBuild(request, id, `${logs.url}/${id}`);
    const operation = operations.start(`projects/${build.projectId}/locations/global`, METADATA, { build });
    const entry: Entry = {
      build,
      operation: operation.name,
      notified: Promise.resolve(),
      done: Promise.resolve(),
      abort: new AbortController(),
    };
    builds.set(id, entry);
    void notify(entry);
    entry.done = schedule(entry);
    pump();
    return Operations.toWire(operation);
  }

  function listBuilds(request: { projectId: string; filter: string; pageSize: number; pageToken: string }): Wire {
    const matches = buildFilter(request.filter);
    const matching = [...builds.values()]
      .map((e) => e.build)
      .filter((b) => b.projectId === request.projectId && matches(b))
      .reverse();
    const start = Number(request.pageToken || 0);
    const size = request.pageSize > 0 ? request.pageSize : 50;
    const next = start + size < matching.length ? String(start + size) : '';
    return { builds: matching.slice(start, start + size), nextPageToken: next };
  }

  const server = new grpc.Server();
  const unary =
    <Req>(handle: (request: Req) => Wire) =>
    (call: grpc.ServerUnaryCall<Req, Wire>, callback: grpc.sendUnaryData<Wire>) => {
      try {
        callback(null, handle(call.request));
      } catch (err) {
        callback(err as grpc.ServiceError);
      }
    };
  server.addService(serviceOf(api, 'google.devtools.cloudbuild.v1.CloudBuild'), {
    createBuild: unary(createBuild),
    getBuild: unary((request: { projectId: string; id: string }) => {
      const entry = builds.get(request.id);
      if (!entry || entry.build.projectId !== request.projectId) {
        throw { code: grpc.status.NOT_FOUND, details: `build ${request.id} not found` };
      }
      return entry.build;
    }),
    listBuilds: unary(listBuilds),
  });
  operations.addTo(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  const idle = async () => {
    await Promise.all([...builds.values()].map((e) => e.done.then(() => e.notified)));
  };
  return {
    port,
    host: `127.0.0.1:${port}`,
    logsUrl: logs.url,
    logOf: (id) => logs.text(id),
    idle,
    async stop() {
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      for (const entry of builds.values()) entry.abort.abort(STOPPED);
      for (const start of waiting.splice(0)) start();
      await idle();
      await logs.stop();
    },
  };
}
