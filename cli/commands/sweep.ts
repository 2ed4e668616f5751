import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { compareRuns } from '../../shared/report/compare-runs.js';
import { parseDuration } from '../../loadtest/duration.js';
import { runLocalRelease } from '../../local/local-release.js';
import { releaseTarball, sampleReleaseTarball } from '../../local/release-tarball.js';
import type { LocalStack } from '../../local/stack.js';
import { loadConfig } from '../../shared/config.js';
import { requireGoogleAccess } from '../../operator/google-access.js';
import { ModelshipError } from '../../shared/errors.js';
import { createPublisher } from '../../shared/gcp/publisher.js';
import type { LoadProfile } from '../../shared/messages.js';
import { createFirestoreStore } from '../../shared/store.js';
import { recommendation, sweep, type SweepDeps } from '../../operator/sweep.js';
import { UsageError, parseOptions } from '../../shared/command-line.js';
import { type Command } from '../command.js';
import { knownScenarios } from '../known-scenarios.js';

const usage = `Usage: modelship sweep --scenarios A,B,C [--image IMAGE] [options]
       modelship sweep --local --scenarios A,B,C [--model DIR|TARBALL] [options]

Deploys and load-tests each scenario in turn on the same image, through the pipeline (as modelship redeploy does),
then writes the side-by-side comparison (compare.html, compare.svg, sweep.json) and recommends, by the pipeline's
own promotion rule, the scenario with the most throughput per vCPU among those the gate passed whose p99 is at most
--p99-bound, with no errors: the seed's whole experiment. With
--find-capacity, the throughput is each scenario's capacity: the most requests/s it held within the bound.
Against GOOGLE_CLOUD_PROJECT by default (the image: the last good deployment's unless --image); with --local, on
this machine's local stack, with the sample model or --model baked first.

Options:
  --scenarios A,B,C   scenarios to compare (modelship scenarios lists them)
  --image IMAGE       the image by digest (default: the last good deployment's)
  --local             run on the local stack (emulators) instead of Google Cloud
  --model PATH        with --local: the SavedModel to bake (default: the sample model)
  --duration D        each load test (default 5m; 10s with --local)
  --users N           users (default 150; 20 with --local)
  --spawn-rate R      users started per second (default 1; 20 with --local)
  --think-time D      wait after each reply (default 1s; 100ms with --local)
  --p99-bound D       the latency bound of the recommendation (default 500ms)
  --find-capacity     search each scenario's capacity under --p99-bound (modelship loadtest --find-capacity)
                      instead of the fixed load: probes of --duration from --start-rps, at most 1% errors
  --start-rps R       with --find-capacity: the first probe's requests/s (default 10)
  --out DIR           where the comparison goes (default sweep)`;

const options = {
  scenarios: { type: 'string' },
  image: { type: 'string' },
  local: { type: 'boolean', default: false },
  model: { type: 'string' },
  duration: { type: 'string' },
  users: { type: 'string' },
  'spawn-rate': { type: 'string' },
  'think-time': { type: 'string' },
  'p99-bound': { type: 'string', default: '500ms' },
  'find-capacity': { type: 'boolean', default: false },
  'start-rps': { type: 'string', default: '10' },
  out: { type: 'string', default: 'sweep' },
  dir: { type: 'string', default: '.modelship' },
} as const;

function duration(flag: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new UsageError(`--${flag} must be a duration such as 100ms, 30s or 5m, not '${value}'`);
  return ms;
}

function count(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} must be a positive whole number, not '${value}'`);
  return n;
}

export const sweepCommand: Command = {
  usage,
  async run(argv) {
    const { values } = parseOptions(argv, options);
    if (values.scenarios === undefined) throw new UsageError('--scenarios is required: a comma-separated list');
    const scenarios = await knownScenarios('--scenarios', values.scenarios);
    const local = values.local;
    const p99BoundMs = duration('p99-bound', values['p99-bound']);
    const durationS = Math.ceil(duration('duration', values.duration ?? (local ? '10s' : '5m')) / 1000);
    const profile: LoadProfile = {
      durationS,
      users: count('users', values.users ?? (local ? '20' : '150')),
      spawnRate: count('spawn-rate', values['spawn-rate'] ?? (local ? '20' : '1')),
      thinkTimeMs: duration('think-time', values['think-time'] ?? (local ? '100ms' : '1s')),
      thresholds: [],
      ...(values['find-capacity']
        ? {
            capacity: {
              p99BoundMs,
              errorsBound: 0.01,
              startRps: count('start-rps', values['start-rps']),
              probeS: durationS,
            },
          }
        : {}),
    };
    const print = (line: string) => console.log(line);

    let stack: LocalStack | undefined;
    let deps: SweepDeps;
    let image = values.image;
    let close: () => Promise<void>;
    if (local) {
      print(`baking ${values.model ?? 'the sample model'} on the local stack (first scenario: ${scenarios[0]})`);
      const tarball = values.model ? await releaseTarball(resolve(values.model)) : await sampleReleaseTarball();
      const first = await runLocalRelease(
        { dir: resolve(values.dir), tarball, scenario: scenarios[0], durationS: 3, users: 5, print },
        true,
      );
      stack = first.stack;
      if (!stack || first.run?.stages.bake?.status !== 'succeeded') {
        await stack?.stop();
        throw new ModelshipError('the model could not be baked on the local stack; see the run above');
      }
      deps = {
        store: createFirestoreStore(stack.firestore),
        publish: createPublisher(stack.pubsub),
        firestore: stack.firestore,
        namespace: 'default',
        print,
      };
      close = () => (stack as LocalStack).stop();
    } else {
      const { GOOGLE_CLOUD_PROJECT: projectId, K8S_NAMESPACE } = loadConfig(['GOOGLE_CLOUD_PROJECT', 'K8S_NAMESPACE']);
      await requireGoogleAccess(['firestore', 'pubsub'], projectId);
      const firestore = new Firestore({ projectId });
      const pubsub = new PubSub({ projectId });
      deps = {
        store: createFirestoreStore(firestore),
        publish: createPublisher(pubsub),
        firestore,
        namespace: K8S_NAMESPACE,
        print,
      };
      close = async () => void (await Promise.all([firestore.terminate(), pubsub.close()]));
    }
    try {
      image ??= (await deps.store.lastGoodDeployment(deps.namespace))?.image;
      if (!image)
        throw new ModelshipError('no image to sweep: no deployment has succeeded yet', {
          hint: 'pass --image REGISTRY/PATH@sha256:DIGEST',
        });
      const result = await sweep({ scenarios, image, profile, p99BoundMs }, deps);
      const verdict = recommendation(result, p99BoundMs);
      const runs = result.entries.flatMap((e) => (e.summary ? [{ label: e.scenario, summary: e.summary }] : []));
      const out = resolve(values.out);
      await mkdir(out, { recursive: true });
      const comparison = compareRuns(runs, { note: verdict });
      await writeFile(join(out, 'compare.html'), comparison.html);
      await writeFile(join(out, 'compare.svg'), comparison.svg);
      const entries = result.entries.map(({ summary: _summary, run, ...e }) => ({
        ...e,
        runId: run.runId,
        status: run.status,
      }));
      await writeFile(
        join(out, 'sweep.json'),
        `${JSON.stringify({ image, profile, p99BoundMs, entries, recommended: result.recommended?.scenario ?? null, why: result.why }, null, 2)}\n`,
      );
      print(
        `\n${comparison.table}${comparison.warnings.map((w) => `warning: ${w}\n`).join('')}\n${verdict}\n\nwrote ${join(out, 'compare.html')}, compare.svg and sweep.json`,
      );
      return result.recommended ? 0 : 1;
    } finally {
      await close();
    }
  },
};
