import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, inject } from 'vitest';
import { runLocalRelease, type LocalReleaseOptions } from '../../local/local-release.js';
import { sampleReleaseTarball } from '../../local/release-tarball.js';
import type { LocalStack } from '../../local/stack.js';
import { AUTO_PORTS } from '../../local/emulator-ports.js';

/**
 * A release through the whole local stack, as `modelship local release` runs it, in container mode: the suite's
 * registry and images (global-setup.ts), the suite's Pub/Sub and Firestore emulators, and a project of its own. The
 * stack is handed over: the caller reads the emulators, then stops it.
 */

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/**
 * Every stack a release started, stopped once its file has run (stopping twice is harmless): a test that timed out
 * never reaches its own `finally`, and its pods and load-test containers would outlive the suite.
 */
const stacks: LocalStack[] = [];
afterAll(() => Promise.allSettled(stacks.map((s) => s.stop())));

let projects = 0;
export async function release(o: Partial<LocalReleaseOptions> = {}) {
  const lines: string[] = [];
  const result = await runLocalRelease(
    {
      dir: tempDir('modelship-e2e-'),
      tarball: await sampleReleaseTarball(),
      ports: AUTO_PORTS,
      emulatorHosts: { pubsub: inject('pubsubHost'), firestore: inject('firestoreHost') },
      images: inject('localImages'),
      project: `e2e-${process.pid}-${++projects}`,
      durationS: 3,
      users: 5,
      // A release now deploys candidates, measures them and promotes one: a promotion's rollout more than before.
      timeoutMs: 180_000,
      print: (l) => lines.push(l),
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
  if (!stack) throw new Error(`the stack was not handed over:\n${lines.join('\n')}`);
  return { ...result, stack, out: lines.join('\n') };
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
