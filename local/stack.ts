import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { Firestore } from '@google-cloud/firestore';
import { ModelshipError } from '../shared/errors.js';
import { distPath } from '../shared/paths.js';
import { TOPICS } from '../shared/topics.js';
import { ENTRY_POINTS, FUNCTIONS, type EntryPoint } from '../shared/wiring.js';
import type { Grant } from '../operator/gcp/iam.js';
import { freePort } from './free-port.js';
import { startLocalIam, type LocalIam } from './iam/local-iam.js';
import { forkReady, type Child } from './child.js';
import { startFunctionRouter } from './function-router.js';
import { emulatorPorts, type EmulatorPorts } from './emulator-ports.js';
import { clearLeftovers, openLedger } from './process-ledger.js';
import { onSpawned } from './spawned.js';
import { startFirestoreEmulator, startPubsubEmulator, type Emulator } from './emulators/google-sdk.js';
import { startLocalBake, type LocalBake } from './emulators/cloudbuild/local-bake.js';
import { startLocalDeploy, type LocalDeploy } from './local-deploy.js';
import { startLocalLoadTests, type LocalLoadTests } from './local-load-test.js';
import { buildLocalImages, type LocalImages } from './containers/images.js';
import { containerRuntimeMissing, INSTALL_HINT } from './containers/podman.js';
import { startRegistry } from './containers/registry.js';

export const LOCAL_PROJECT = 'modelship-local';

export interface StackOptions {
  /** Working directory for logs and state (.modelship/ by default). */
  dir: string;
  /** Ports; 0 picks a free one. Defaults to firebase.json's emulator section. */
  ports?: Partial<EmulatorPorts>;
  /** Environment of the functions (their configuration), on top of the emulator addresses. */
  functionsEnv: Record<string, string>;
  /** The functions to serve (default: every one); event functions get push subscriptions to their topics. */
  functions?: readonly EntryPoint[];
  /** Reports each step as it happens. */
  onStep?: (step: string) => void;
  /** Use emulators that are already running (the test suite's) instead of starting a pair. */
  emulatorHosts?: { pubsub: string; firestore: string };
  /** The Google Cloud project the stack works in; a fresh one isolates a run on shared emulators. */
  project?: string;
  /**
   * `containers`: every image runs as a container (podman) and images go through a local registry, as in Google
   * Cloud; `processes`: the same code in processes of this machine, for machines without a container runtime.
   * Default: containers when podman is installed.
   */
  runtime?: Runtime;
  /** Images already built and pushed (the test suite's): container mode uses them instead of building its own. */
  images?: LocalImages;
  /** Takes grants away from the plan the stack enforces, to show what fails without them. */
  revoke?: (grant: Grant) => boolean;
  /** How often the stand-in for Cloud Scheduler ticks watchRuns (in Google Cloud: every minute). Default 5 s. */
  watchEveryMs?: number;
}

export type Runtime = 'containers' | 'processes';

/** The runtime to use when none is asked for, and why, for the person watching. */
export function defaultRuntime(): { runtime: Runtime; note?: string } {
  const missing = containerRuntimeMissing();
  if (!missing) return { runtime: 'containers' };
  return {
    runtime: 'processes',
    note:
      `no container runtime (${missing}): the build steps, pods and load-test job run as processes of this machine ` +
      `instead of containers of their images. To run them as Google Cloud does: ${INSTALL_HINT}`,
  };
}

export interface LocalStack {
  project: string;
  env: Record<string, string>;
  functionsUrl: string;
  pubsub: PubSub;
  firestore: Firestore;
  logDir: string;
  /** PIDs of the processes the stack started (for pinning them in benchmarks). */
  pids: number[];
  runtime: Runtime;
  /** The images the stack runs, in container mode. */
  images?: LocalImages;
  /** The Cloud Build emulator, the release server and the image store, when bakeModel is served. */
  bake?: LocalBake;
  /** The Kubernetes emulator, when deployScenario is served. */
  deploy?: LocalDeploy;
  /** The Cloud Run emulator and the report directory, when launchLoadTest is served. */
  loadTests?: LocalLoadTests;
  /** The grants enforced and the calls refused. */
  iam: LocalIam;
  /**
   * Fault injection: a function's process killed (SIGKILL, as a crash), and started again at the same address.
   * `reconfigure` stops it and starts it again there with `env` on top of its configuration, as a function
   * redeployed with other variables (tests that vary one function's settings on one stack).
   */
  functions: {
    kill(name: EntryPoint): Promise<void>;
    restart(name: EntryPoint): Promise<void>;
    reconfigure(name: EntryPoint, env: Record<string, string>): Promise<void>;
  };
  stop(): Promise<void>;
}

/**
 * Brings up the local pipeline: the real Pub/Sub and Firestore emulators, the topics, and the functions in a child
 * process on 127.0.0.1. Everything started is stopped by `stop()`, in reverse order, by the handles held here.
 */
export async function startLocalStack(options: StackOptions): Promise<LocalStack> {
  const ports = { ...emulatorPorts(), ...options.ports };
  const served = options.functions ?? ENTRY_POINTS;
  const logDir = join(options.dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const step = options.onStep ?? (() => undefined);
  await clearLeftovers(options.dir, step);
  const ledger = await openLedger(options.dir);
  // What the emulators spawn (process-mode pods and tasks) goes to the ledger too, not to `pids`: it comes and goes.
  const unlisten = onSpawned((pid) => void ledger.add(pid).catch(() => undefined));
  const stops: Array<() => Promise<void>> = [() => ledger.close(), async () => unlisten()];
  const pids: number[] = [];
  const started = async (...more: number[]) => {
    pids.push(...more);
    for (const pid of more) await ledger.add(pid);
  };
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  const startEmulators = async () => {
    step('starting the Pub/Sub and Firestore emulators');
    const emulators: Emulator[] = await Promise.all([
      startPubsubEmulator({ port: ports.pubsub }),
      startFirestoreEmulator({ port: ports.firestore }),
    ]);
    stops.push(...emulators.map((e) => () => e.stop()));
    await started(...emulators.map((e) => e.pid));
    const [pubsub, firestore] = emulators.map((e) => e.host) as [string, string];
    return { pubsub, firestore };
  };
  try {
    const { pubsub: pubsubHost, firestore: firestoreHost } = options.emulatorHosts ?? (await startEmulators());
    const project = options.project ?? LOCAL_PROJECT;
    const env: Record<string, string> = {
      GOOGLE_CLOUD_PROJECT: project,
      PUBSUB_EMULATOR_HOST: pubsubHost,
      FIRESTORE_EMULATOR_HOST: firestoreHost,
      METADATA_SERVER_DETECTION: 'none',
    };
    Object.assign(process.env, env);
    const runtime = options.runtime ?? (options.images ? 'containers' : defaultRuntime().runtime);
    let images = options.images;
    const missing = runtime === 'containers' ? containerRuntimeMissing() : undefined;
    if (missing) {
      throw new ModelshipError(`container mode needs a container runtime: ${missing}`, {
        hint: `install it with: ${INSTALL_HINT}; or run with --runtime processes`,
      });
    }
    if (runtime === 'containers' && !images) {
      const registry = await startRegistry({ dir: join(options.dir, 'registry'), port: ports.registry });
      stops.push(() => registry.stop());
      await started(registry.pid);
      images = await buildLocalImages({
        registry: registry.host,
        logFile: join(logDir, 'image-build.log'),
        onStep: step,
      });
    }
    const pubsub = new PubSub({ projectId: project });
    const firestore = new Firestore({ projectId: project });
    stops.push(async () => {
      await Promise.all([pubsub.close(), firestore.terminate()]);
    });
    step('creating the topics');
    await Promise.all(Object.values(TOPICS).map((t) => pubsub.createTopic(t)));

    let bake: LocalBake | undefined;
    if (served.includes('bakeModel')) {
      step('starting the Cloud Build emulator and the release server');
      // The functions' GitHub token is the one that may publish releases on the stand-in, as a person's would be.
      const githubToken = options.functionsEnv.GITHUB_TOKEN;
      bake = await startLocalBake({
        dir: options.dir,
        pubsub,
        ports,
        ...(images ? { images } : {}),
        ...(githubToken ? { githubToken } : {}),
      });
      stops.push(() => (bake as LocalBake).stop());
    }

    const imageStore = bake?.imageStore ?? join(options.dir, 'images');
    let deploy: LocalDeploy | undefined;
    if (served.includes('deployScenario')) {
      step('starting the Kubernetes emulator');
      deploy = await startLocalDeploy({
        project,
        dir: options.dir,
        imageStore,
        port: ports.kubernetes,
        containers: runtime === 'containers',
      });
      stops.push(() => (deploy as LocalDeploy).stop());
    }
    // The Cloud Run emulator's port is known before it starts: the gateway fronts it, and the job runs behind it.
    const runPort = served.includes('launchLoadTest') ? ports.run || (await freePort()) : undefined;
    step('enforcing IAM: the grants of the plan, each workload as its service account');
    const iam = startLocalIam({
      project,
      upstreams: {
        pubsub: pubsubHost,
        firestore: firestoreHost,
        ...(bake ? { cloudbuild: bake.cloudBuild.host } : {}),
        ...(runPort ? { run: `127.0.0.1:${runPort}` } : {}),
      },
      ...(options.revoke ? { revoke: options.revoke } : {}),
    });
    stops.push(() => iam.stop());
    let loadTests: LocalLoadTests | undefined;
    if (runPort) {
      step('starting the Cloud Run emulator');
      loadTests = await startLocalLoadTests({
        dir: options.dir,
        port: runPort,
        job: iam.names.jobPath,
        stackEnv: { ...env, ...(await iam.envFor('loadTester')) },
        ...(images ? { images } : {}),
      });
      stops.push(() => (loadTests as LocalLoadTests).stop());
    }
    step('starting the functions, each in its own process as its service account');
    const functionsEnv = {
      ...process.env,
      ...env,
      ...bake?.env,
      ...deploy?.env,
      ...loadTests?.env,
      BAKE_SERVICE_ACCOUNT: iam.names.accountPath('bakeBuild'),
      // Local Pub/Sub redelivers within 10 s (backoff 1–10 s), not Google's 600 s: a stage's grace can be short.
      STAGE_GRACE_S: '30',
      ...options.functionsEnv,
    };
    const children = new Map<EntryPoint, Child & { ready: string }>();
    const startFunction = async (name: EntryPoint, port = 0, more: Record<string, string> = {}) => {
      const child = await forkReady<string>(
        distPath('local/functions-main.js'),
        ['--port', String(port), '--function', name],
        {
          env: iam.secretsFor(name, {
            ...functionsEnv,
            ...more,
            FUNCTION_TARGET: name,
            ...(await iam.envFor(FUNCTIONS[name].account)),
          }),
          logFile: join(logDir, 'functions.log'),
          // Six processes start at once, each loading its clients: minutes on two shared, busy cores.
          timeoutMs: 180_000,
        },
      );
      children.set(name, child);
      await started(child.pid);
      return child.ready;
    };
    stops.push(async () => {
      await Promise.all([...children.values()].map((c) => c.stop()));
    });
    const hosts = await Promise.all(served.map(async (name) => [name, await startFunction(name)] as const));
    const router = await startFunctionRouter(new Map(hosts), ports.functions);
    stops.push(() => new Promise<void>((resolve) => router.server.close(() => resolve())));
    await pushToFunctions(pubsub, project, new Map(hosts));
    if (served.includes('watchRuns')) {
      // Cloud Scheduler's tick, more often than its once a minute so that local runs end sooner.
      const tick = setInterval(() => {
        void pubsub
          .topic(TOPICS.watchRuns)
          .publishMessage({ json: { type: 'WatchRuns', version: 1 } })
          .catch(() => undefined);
      }, options.watchEveryMs ?? 5000);
      stops.push(async () => clearInterval(tick));
    }
    /** A function started again at its address, with `env` on top of its configuration. */
    const startAgain = async (name: EntryPoint, env: Record<string, string>): Promise<void> => {
      const url = new Map(hosts).get(name);
      if (!url) throw new Error(`${name} is not served by this stack`);
      await startFunction(name, Number(new URL(url).port), env);
    };
    const functions = {
      async kill(name: EntryPoint) {
        const child = children.get(name);
        if (!child) throw new Error(`${name} is not served by this stack`);
        const exited = new Promise((resolve) => child.child.once('exit', resolve));
        child.child.kill('SIGKILL');
        await exited;
      },
      restart: (name: EntryPoint) => startAgain(name, {}),
      async reconfigure(name: EntryPoint, env: Record<string, string>) {
        await children.get(name)?.stop();
        await startAgain(name, env);
      },
    };
    return {
      project,
      env,
      functionsUrl: router.url,
      functions,
      iam,
      pubsub,
      firestore,
      logDir,
      pids,
      runtime,
      ...(images ? { images } : {}),
      bake,
      deploy,
      loadTests,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * One push subscription per event function and topic, delivering to the function's path as Eventarc does: the
 * Functions Framework turns the push body into the CloudEvent (it reads the topic from `/projects/P/topics/T`).
 * A failed invocation (non-2xx) is redelivered with backoff; the long ack deadline covers a rollout's wait.
 */
async function pushToFunctions(pubsub: PubSub, project: string, served: ReadonlyMap<EntryPoint, string>) {
  await Promise.all(
    [...served].flatMap(([name, url]) => {
      const topics = FUNCTIONS[name].trigger;
      if (topics === 'http') return [];
      return topics.map((topic) =>
        pubsub.topic(topic).createSubscription(`${name}-${topic}`, {
          pushConfig: { pushEndpoint: `${url}/${name}/projects/${project}/topics/${topic}` },
          ackDeadlineSeconds: 600,
          retryPolicy: { minimumBackoff: { seconds: 1 }, maximumBackoff: { seconds: 10 } },
        }),
      );
    }),
  );
}
