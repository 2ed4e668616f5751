import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import type { EntryPoint } from '../shared/wiring.js';
import { runTag } from '../shared/bake/build-request.js';
import { signBody } from '../shared/github/signature.js';
import { distPath, packageRoot } from '../shared/paths.js';
import { createFirestoreStore } from '../shared/store.js';
import { TOPICS, type TopicName } from '../shared/topics.js';
import { CloudBuildClient } from '@google-cloud/cloudbuild';
import { clientOptions } from '../shared/gcp/client-options.js';
import { createCloudBuild } from '../shared/gcp/cloud-build.js';
import { createLogger } from '../shared/log.js';
import { startCloudBuildEmulator } from '../local/emulators/cloudbuild/cloudbuild-emulator.js';
import { StepExit } from '../local/emulators/cloudbuild/step-executor.js';
import { freePort } from '../local/free-port.js';
import { startFirestoreEmulator, startPubsubEmulator } from '../local/emulators/google-sdk.js';
import { releasePayload } from '../local/release-payload.js';
import { percentile, pin } from './pin.js';

/**
 * `npm run bench:cold-start`: the CPU a function's process spends from spawn to its first answer, under the
 * Functions Framework's own CLI as in Cloud Functions (FUNCTION_TARGET set), against the real Pub/Sub and Firestore
 * emulators. A 2nd gen function of 256 MiB gets 0.167 vCPU, so this CPU time, times 6, is roughly the first
 * answer's latency there. Each case is repeated and interleaved with the others; the figure that matters is the
 * ratio to a hello-world function on the same framework, measured in the same run, since the machine is shared.
 */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const FUNCTION_CORE = 1;
const PROJECT = 'modelship-bench';
const REPO = 'bench/model';
const SECRET = randomBytes(32).toString('hex');
const IMAGE = `bench.local/modelship/serving@sha256:${'ab'.repeat(32)}`;
const CLK_TCK = 100; // Linux's USER_HZ: /proc/PID/stat counts CPU time in 1/100 s
const ACCEPT_TIMEOUT_MS = 60_000;

/** The first request a case sends, and what the function's answer must be for the measurement to count. */
interface Request {
  path: string;
  headers: Record<string, string>;
  body: string;
}
/** The functions of bench/baselines.ts. */
const BASELINES = ['hello', 'clientsImported', 'clientsCalled'] as const;
type Baseline = (typeof BASELINES)[number];
interface Case {
  name: EntryPoint | Baseline;
  /** What the first event is, for the table. */
  event: string;
  env: Record<string, string>;
  /** Prepares one repetition (state in Firestore) and returns its first request. */
  request(): Promise<Request>;
  status: number;
}

const [pubsubEmulator, firestoreEmulator] = await Promise.all([startPubsubEmulator(), startFirestoreEmulator()]);
const stops = [() => pubsubEmulator.stop(), () => firestoreEmulator.stop()];
const emulatorEnv = {
  GOOGLE_CLOUD_PROJECT: PROJECT,
  PUBSUB_EMULATOR_HOST: pubsubEmulator.host,
  FIRESTORE_EMULATOR_HOST: firestoreEmulator.host,
  METADATA_SERVER_DETECTION: 'none',
};
Object.assign(process.env, emulatorEnv);
const pubsub = new PubSub({ projectId: PROJECT });
const firestore = new Firestore({ projectId: PROJECT });
const store = createFirestoreStore(firestore);
stops.unshift(async () => {
  await Promise.all([pubsub.close(), firestore.terminate()]);
});
await Promise.all(Object.values(TOPICS).map((t) => pubsub.createTopic(t)));
// onBuildFinished reads the notified build back from Cloud Build: the emulator holds it, its step failing at once.
const cloudBuildEmulator = await startCloudBuildEmulator({
  pubsub,
  executeStep: () => Promise.reject(new StepExit(1)),
  workDir: await mkdtemp(join(tmpdir(), 'modelship-cold-builds-')),
});
const cloudBuildClient = new CloudBuildClient(clientOptions(cloudBuildEmulator.host));
const cloudBuild = createCloudBuild({
  client: cloudBuildClient,
  project: PROJECT,
  log: createLogger({ minSeverity: 'WARNING' }),
});
stops.unshift(async () => {
  await cloudBuildClient.close();
  await cloudBuildEmulator.stop();
});
pin(pubsubEmulator.pid, 0);
pin(firestoreEmulator.pid, 0);
pin(process.pid, 0);

/** Pub/Sub's push body, as Eventarc delivers it; the framework turns it into the CloudEvent. */
function push(topic: TopicName, message: unknown, attributes: Record<string, string> = {}): Request {
  return {
    path: `/projects/${PROJECT}/topics/${topic}`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      subscription: `projects/${PROJECT}/subscriptions/bench`,
      message: {
        data: Buffer.from(JSON.stringify(message)).toString('base64'),
        attributes,
        messageId: randomUUID(),
        publishTime: new Date().toISOString(),
      },
    }),
  };
}

const newRunId = () => `bench-${randomBytes(6).toString('hex')}`;
/** A key claimed and done: the message is a redelivery, answered without calling Cloud Build, Run or Kubernetes. */
const claimDone = (key: string) => store.claim(key, { state: 'done', at: new Date().toISOString() });

let releases = 0;
const kubeconfig = join(await mkdtemp(join(tmpdir(), 'modelship-cold-')), 'kubeconfig');
await writeFile(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');

/** A baseline of bench/baselines.ts: a GET, answered 200. */
const baseline = (name: Baseline, event: string): Case => ({
  name,
  event,
  env: {},
  request: async () => ({ path: '/', headers: {}, body: '' }),
  status: 200,
});

const cases: Case[] = [
  baseline('hello', 'GET'),
  baseline('clientsImported', 'GET: imports Firestore and Pub/Sub, no call'),
  baseline('clientsCalled', 'GET: one Firestore write, one publish'),
  {
    name: 'githubWebhook',
    event: 'signed release delivery (claim, publish)',
    env: { GITHUB_WEBHOOK_SECRET: SECRET, ALLOWED_REPOSITORIES: REPO },
    request: async () => {
      const body = JSON.stringify(
        releasePayload({
          repository: REPO,
          tag: `v${++releases}`,
          releaseId: Date.now() * 10 + (releases % 10),
          asset: { id: 1, name: 'saved_model.tar.gz', size: 1 },
          apiUrl: 'https://api.github.com',
          serverUrl: 'https://github.com',
        }),
      );
      const headers = {
        'content-type': 'application/json',
        'x-github-event': 'release',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': signBody(body, SECRET),
      };
      return { path: '/', headers, body };
    },
    status: 202,
  },
  {
    name: 'bakeModel',
    event: 'ModelReleased, redelivered (no Cloud Build call)',
    env: {
      MODELSHIP_IMAGE: 'bench.local/modelship:dev',
      TARGET_IMAGE_REPOSITORY: 'bench.local/modelship/serving',
      CLOUD_BUILD_EMULATOR_HOST: '127.0.0.1:9',
    },
    request: async () => {
      const runId = newRunId();
      await claimDone(`bake/${runId}`);
      return push(TOPICS.modelReleased, {
        type: 'ModelReleased',
        version: 1,
        runId,
        repository: REPO,
        release: { id: 1, tag: 'v1', name: null, htmlUrl: 'https://github.com/bench/model', prerelease: false },
        asset: {
          id: 1,
          name: 'saved_model.tar.gz',
          url: `https://api.github.com/repos/${REPO}/releases/assets/1`,
          browserDownloadUrl: `https://github.com/${REPO}/releases/download/v1/saved_model.tar.gz`,
          size: 1,
        },
        deliveryId: randomUUID(),
        receivedAt: new Date().toISOString(),
      });
    },
    status: 204,
  },
  {
    name: 'onBuildFinished',
    event: 'failed bake build (read back, run record, publish)',
    env: { DEPLOY_SCENARIOS: '2n-8c-16r-interop4', CLOUD_BUILD_EMULATOR_HOST: cloudBuildEmulator.host },
    request: async () => {
      const runId = newRunId();
      await store.createRun({ runId, repository: REPO, tag: 'v1' });
      const { id } = await cloudBuild.submit({
        steps: [{ id: 'fetch', name: 'modelship', args: ['fetch'] }],
        tags: ['modelship', runTag(runId)],
        timeout: { seconds: 60 },
      });
      await cloudBuildEmulator.idle();
      const build = await cloudBuild.get(id);
      if (!build) throw new Error(`the Cloud Build emulator does not know build ${id} it just ran`);
      return push(TOPICS.cloudBuilds, build, { buildId: id, status: build.status });
    },
    status: 204,
  },
  {
    name: 'deployScenario',
    event: 'DeployRequested, redelivered (no Kubernetes call)',
    env: {
      KUBECONFIG: kubeconfig,
      DEPLOY_NODE_SELECTOR: 'false',
      TARGET_IMAGE_REPOSITORY: 'bench.local/modelship/serving',
    },
    request: async () => {
      const runId = newRunId();
      await claimDone(`deploy/${runId}/2n-8c-16r-interop4/1`);
      return push(TOPICS.deployRequested, {
        type: 'DeployRequested',
        version: 1,
        runId,
        scenario: '2n-8c-16r-interop4',
        image: IMAGE,
        requestedBy: 'pipeline',
      });
    },
    status: 204,
  },
  {
    name: 'launchLoadTest',
    event: 'LoadTestRequested, redelivered (no Cloud Run call)',
    env: {
      LOAD_TEST_JOB: `projects/${PROJECT}/locations/local/jobs/modelship-load-test`,
      CLOUD_RUN_EMULATOR_HOST: '127.0.0.1:9',
    },
    request: async () => {
      const runId = newRunId();
      await claimDone(`load-test/${runId}/2n-8c-16r-interop4`);
      return push(TOPICS.loadTestRequested, {
        type: 'LoadTestRequested',
        version: 1,
        runId,
        scenario: '2n-8c-16r-interop4',
        image: IMAGE,
        target: 'http://127.0.0.1:9',
        modelName: 'resnet',
        profile: { durationS: 10 },
      });
    },
    status: 204,
  },
  {
    name: 'reportResults',
    event: 'PipelineFailed (run record)',
    env: {},
    request: async () => {
      const runId = newRunId();
      await store.createRun({ runId, repository: REPO, tag: 'v1' });
      return push(TOPICS.pipelineFailed, {
        type: 'PipelineFailed',
        version: 1,
        runId,
        stage: 'bake',
        reason: 'the bake failed',
      });
    },
    status: 204,
  },
];

/** user + system CPU of a process so far, in seconds (fields 14 and 15 of /proc/PID/stat). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Sends the request as soon as the port accepts a connection, retrying refusals; bounded by ACCEPT_TIMEOUT_MS. */
async function firstAnswer(port: number, request: Request, child: ChildProcess): Promise<number> {
  const deadline = Date.now() + ACCEPT_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the function exited with ${child.exitCode} before answering`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}${request.path}`, {
        method: request.body ? 'POST' : 'GET',
        headers: request.headers,
        ...(request.body ? { body: request.body } : {}),
        signal: AbortSignal.timeout(ACCEPT_TIMEOUT_MS),
      });
      await res.arrayBuffer();
      return res.status;
    } catch (err) {
      const refused = (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
      if (!refused || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}

async function measure(c: Case): Promise<number> {
  const request = await c.request();
  const port = await freePort();
  const isBaseline = (BASELINES as readonly string[]).includes(c.name);
  const source = distPath(isBaseline ? 'bench/baselines.js' : 'functions/index.js');
  let output = '';
  const child = spawn(
    process.execPath,
    [
      `--import=${pathToFileURL(distPath('bench/loopback.js')).href}`,
      join(packageRoot, 'node_modules/@google-cloud/functions-framework/build/src/main.js'),
      `--target=${c.name}`,
      `--source=${source}`,
      `--port=${port}`,
    ],
    {
      cwd: packageRoot,
      env: { PATH: process.env.PATH, ...emulatorEnv, ...c.env, FUNCTION_TARGET: c.name },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${c.name}: could not spawn the function`);
  pin(pid, FUNCTION_CORE);
  child.stdout?.on('data', (d: Buffer) => (output += d));
  child.stderr?.on('data', (d: Buffer) => (output += d));
  try {
    const status = await firstAnswer(port, request, child);
    const cpu = cpuSeconds(pid);
    if (status !== c.status) throw new Error(`HTTP ${status}, expected ${c.status}`);
    return cpu;
  } catch (err) {
    throw new Error(`${c.name}: ${(err as Error).message}\n${output}`, { cause: err });
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }
}

const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
try {
  for (let round = 0; round < REPEATS; round++) {
    for (const c of cases) {
      const cpu = await measure(c);
      samples.get(c.name)?.push(cpu);
      console.error(`round ${round + 1}/${REPEATS} ${c.name}: ${cpu.toFixed(2)} s`);
    }
  }
} finally {
  for (const stop of stops) await stop().catch(() => undefined);
}

const median = (name: string) =>
  percentile(
    [...(samples.get(name) ?? [])].sort((a, b) => a - b),
    50,
  );
const hello = median('hello');
console.log(`cold start: CPU (user + sys) from spawn to the first answer, median of ${REPEATS}, pinned to one core`);
console.log('| function | first event | CPU s | / hello-world |');
console.log('| --- | --- | --- | --- |');
for (const c of cases) {
  const m = median(c.name);
  console.log(`| ${c.name} | ${c.event} | ${m.toFixed(2)} | ${(m / hello).toFixed(1)}x |`);
}
