import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, inject } from 'vitest';
import { runLocalRelease, sendReleases, type LocalReleaseOptions } from '../../local/local-release.js';
import { sampleReleaseTarball } from '../../local/release-tarball.js';
import type { LocalStack } from '../../local/stack.js';
import { AUTO_PORTS } from '../../local/emulator-ports.js';
import { localImages } from './local-images.js';
import { tempDir } from './temp-dir.js';

/**
 * A release through the whole local stack, as `modelship local release` runs it, in container mode: the suite's
 * registry and images (global-setup.ts), the suite's Pub/Sub and Firestore emulators, and a project of its own. The
 * stack is handed over: the caller reads the emulators, then stops it.
 */

/**
 * Every stack a release started, stopped once its file has run (stopping twice is harmless): a test that timed out
 * never reaches its own `finally`, and its pods and load-test containers would outlive the suite.
 */
const stacks: LocalStack[] = [];
afterAll(() => Promise.allSettled(stacks.map((s) => s.stop())));

/** A release's printed lines, kept for the assertion messages. */
function printer() {
  const lines: string[] = [];
  const print = (l: string) => lines.push(l);
  return { print, out: () => lines.join('\n') };
}

/** A release now deploys candidates, measures them and promotes one: a promotion's rollout more than before. */
const RELEASE_TIMEOUT_MS = 180_000;

let projects = 0;
export async function release(o: Partial<LocalReleaseOptions> = {}) {
  const { print, out } = printer();
  const result = await runLocalRelease(
    {
      dir: tempDir('modelship-e2e-'),
      tarball: await sampleReleaseTarball(),
      ports: AUTO_PORTS,
      emulatorHosts: { pubsub: inject('pubsubHost'), firestore: inject('firestoreHost') },
      images: localImages(),
      project: `e2e-${process.pid}-${++projects}`,
      durationS: 3,
      users: 5,
      timeoutMs: RELEASE_TIMEOUT_MS,
      print,
      ...o,
      onStack: (s) => {
        stacks.push(s);
        o.onStack?.(s);
      },
      // The shared machine's own load is in every latency: these tests judge what the pipeline does, not that bound.
      functionsEnv: { GATE_P99_BOUND_MS: '60000', ...o.functionsEnv },
    },
    true,
  );
  const stack = result.stack;
  if (!stack) throw new Error(`the stack was not handed over:\n${out()}`);
  return { ...result, stack, out: out() };
}
type Released = Awaited<ReturnType<typeof release>>;

/**
 * One release and its stack, shared by the tests of a file that act on top of it and leave it as they found it:
 * released by the first test that asks, stopped with the file's other stacks. Each test it serves saves a stack's
 * start (seven function processes, the most CPU of a test on two shared cores) and a whole release.
 */
export function sharedRelease(o: Partial<LocalReleaseOptions> = {}): () => ReturnType<typeof release> {
  let released: ReturnType<typeof release> | undefined;
  return () => (released ??= release(o));
}

/** What one of `releasesOnOneStack`'s releases may set: its asset, and bakeModel's settings for its bake. */
export interface StackRelease {
  tarball?: Buffer;
  /** bakeModel's variables on top of the stack's (MODELSHIP_IMAGE, BAKE_MODEL_NAME): for this release only. */
  bake?: Record<string, string>;
}

/**
 * One stack for the releases of a file's tests, sent one after the other, each with a tag of its own: the first
 * starts the stack, the others are sent to it, and it is stopped with the file's other stacks. A release that sets
 * `bake` has bakeModel started again with those settings before its webhook goes out, and the next one has it
 * started again with the stack's own. For tests whose releases differ only there and do not depend on what an
 * earlier one left: each saves a stack's start and stop, as `sharedRelease` does.
 */
export function releasesOnOneStack(o: Partial<LocalReleaseOptions> = {}) {
  const dir = o.dir ?? tempDir('modelship-e2e-');
  let first: Released | undefined;
  let stack: LocalStack | undefined;
  let baked: Record<string, string> | undefined;
  let sent = 0;
  return async (r: StackRelease = {}): Promise<Released> => {
    const tag = `v1.0.${sent++}`;
    const beforeDelivery = async (attempt: number) => {
      if (attempt > 0 || !stack || (!r.bake && !baked)) return;
      await stack.functions.reconfigure('bakeModel', r.bake ?? {});
      baked = r.bake;
    };
    if (!first) {
      first = await release({
        ...o,
        dir,
        tag,
        ...(r.tarball ? { tarball: r.tarball } : {}),
        beforeDelivery,
        onStack: (s) => (stack = s),
      });
      return first;
    }
    const { print, out } = printer();
    const { stack: up, target } = first;
    if (!target) throw new Error('the first release handed over no target for the next ones');
    const tarball = r.tarball ?? (await sampleReleaseTarball());
    const sending = { dir, tag, tarball, print, beforeDelivery };
    const result = await sendReleases(target, { timeoutMs: RELEASE_TIMEOUT_MS, ...o, ...sending }, performance.now());
    return { ...result, stack: up, target, out: out() };
  };
}

/** What a test scenario may change: its node (and so the pod's CPU) and TF Serving's threads. */
export interface ScenarioShape {
  machineType?: string;
  interOp?: number;
  intraOp?: number;
  /** More flags of the server (the simulator's `--sim_*`, docs/tfserving.md). */
  extraArgs?: string[];
}

/**
 * A directory of scenarios for the tests: `small` (one pod of 1.5 CPUs, serving the baked `resnet`) and those given,
 * each `[name, modelName, startupSeconds, shape?]`. Kubernetes time runs 10x faster in the local stack: 300 s of
 * start-up allowance is 30 s, and 10 s is 1 s.
 */
export function scenarios(
  ...more: Array<[name: string, model: string, startupS: number, shape?: ScenarioShape]>
): string {
  const dir = tempDir('modelship-scenarios-');
  for (const [name, model, deadlineS, shape = {}] of [['small', 'resnet', 300] as const, ...more]) {
    const threads = [
      `interOpParallelism: ${shape.interOp ?? 2}`,
      ...(shape.intraOp ? [`intraOpParallelism: ${shape.intraOp}`] : []),
      ...(shape.extraArgs ? [`extraArgs: ${JSON.stringify(shape.extraArgs)}`] : []),
    ].join(', ');
    writeFileSync(
      join(dir, `${name}.yaml`),
      [
        `description: "${name}, for the end-to-end tests"`,
        'replicas: 1',
        `node: { machineType: ${shape.machineType ?? 'n2-custom-2-4096'} }`,
        `tfserving: { modelName: ${model}, ${threads} }`,
        `probes: { startupSeconds: ${deadlineS}, periodSeconds: 1 }`,
        `rollout: { progressDeadlineSeconds: ${deadlineS + 30}, preStopSleepSeconds: 0, terminationGracePeriodSeconds: 5 }`,
      ].join('\n'),
    );
  }
  return dir;
}
