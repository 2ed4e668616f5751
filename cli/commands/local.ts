import { resolve } from 'node:path';
import { demoVerdict } from '../../local/demo-verdict.js';
import { releaseTarball, sampleReleaseTarball } from '../../local/release-tarball.js';
import { runLocalRelease } from '../../local/local-release.js';
import { defaultRuntime, type Runtime } from '../../local/stack.js';
import { parseDuration } from '../../loadtest/duration.js';
import { UsageError, parseOptions } from '../../shared/command-line.js';
import { DEFAULT_SCENARIO, scenarioNames, scenariosDir } from '../../shared/deploy/index.js';
import { type Command } from '../command.js';

/** The demo's two releases; the second one's model is DEMO_SLOWDOWN times slower than the first in the simulator. */
const DEMO_RELEASES = ['v1.0.0', 'v1.1.0'] as const;
const DEMO_SLOWDOWN = 1.3;
/**
 * Both demo models are this many times as costly as the simulator's ResNet-50 (17 ms a request in the default
 * scenario): then the simulated time, not this machine's own work to take in each 602 KB request (tens of ms, more
 * when the machine is busy), rules the latencies, and a 30% slower model measures 30% slower.
 */
const DEMO_MODEL_COST = 10;
/**
 * The demo's p99 bound for promotion (GATE_P99_BOUND_MS, 500 ms in the pipeline): on one shared machine the latencies
 * are mostly the machine's own load (a p99 of 1 s at 20 users is common), and what the demo shows is the gate's
 * comparison of the two releases, not this machine's latency.
 */
const DEMO_P99_BOUND_MS = 10_000;

/** `--scenario a,b`: each name checked against the scenario files, before anything starts. */
async function candidateScenarios(text: string): Promise<string> {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError(`--scenario must name at least one scenario, not '${text}'`);
  const dir = scenariosDir();
  const known = await scenarioNames(dir);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) {
    throw new UsageError(
      `--scenario: no scenario ${unknown.map((n) => `'${n}'`).join(', ')} in ${dir}; expected names from ${known.join(', ')} (modelship scenarios)`,
    );
  }
  return names.join(',');
}

const usage = `Usage: modelship local demo [--dir DIR]
       modelship local release --model DIR|TARBALL [--scenario A,B] [--duration D] [--users N] [--dir DIR]
       (both also take --runtime containers|processes)

Runs the whole pipeline on this machine: the Google Cloud SDK's Pub/Sub and Firestore emulators, a local OCI
registry, modelship's emulators of Cloud Build, Kubernetes and Cloud Run, a stand-in for GitHub, and every function
on 127.0.0.1 (ports from firebase.json). The build steps, pods and load-test job run as containers of their images
(podman), built from the repository's Dockerfiles. A release is published with the model as its asset, the signed
webhook is sent, and the run is followed stage by stage: received, baking, candidates deployed and load-tested beside
the serving deployment, judged by the gate, the best one promoted, reported. Each run is written to DIR/runs/RUN_ID.json.

  demo      two releases of the sample model (a generated SavedModel with the seed's ResNet50 signature) on one
            stack: ${DEMO_RELEASES[0]}, then ${DEMO_RELEASES[1]}, ${Math.round((DEMO_SLOWDOWN - 1) * 100)}% slower in the simulator (their assets.extra/tfs-sim.json,
            {"slowdown": ${DEMO_MODEL_COST}} then {"slowdown": ${DEMO_MODEL_COST * DEMO_SLOWDOWN}}: a model ${DEMO_MODEL_COST} times as costly as the
            simulator's ResNet-50, docs/tfserving.md). The first is promoted; the second is measured beside
            it and refused by the gate, and the first keeps serving. The p99 bound for promotion is ${DEMO_P99_BOUND_MS / 1000} s
            here (GATE_P99_BOUND_MS): this machine's latency is not what the demo judges. What npm start runs.
  release   your own SavedModel: a directory (with or without its version directory) or a .tar.gz

Exit code: release: 0 when the run succeeded; otherwise 1, with the stage that failed and why. demo: 0 when the
first release was promoted, the second refused and the serving deployment kept the first's digest; otherwise 1,
saying which did not happen.

Options:
  --model PATH      the SavedModel to release
  --scenario A,B    the candidate scenarios, comma separated (default ${DEFAULT_SCENARIO}; modelship scenarios lists them)
  --duration D      load test duration (default 10s)
  --users N         load test users (default 20)
  --dir DIR         where logs, the registry, reports and run records go (default .modelship)
  --runtime R       containers (default when podman is installed) or processes (the same code, no images run)`;

export const local: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parseOptions(
      argv,
      {
        dir: { type: 'string', default: '.modelship' },
        model: { type: 'string' },
        scenario: { type: 'string' },
        duration: { type: 'string', default: '10s' },
        users: { type: 'string', default: '20' },
        runtime: { type: 'string' },
      },
      true,
    );
    const [action, ...extra] = positionals;
    if (extra.length) throw new UsageError(`unexpected '${extra.join(' ')}'`);
    if (action !== 'demo' && action !== 'release')
      throw new UsageError(action ? `unknown action '${action}'` : 'an action is required');
    if (action === 'release' && !values.model) throw new UsageError('local release needs --model DIR|TARBALL');
    const durationMs = parseDuration(values.duration);
    if (durationMs === undefined || durationMs < 1000)
      throw new UsageError(`--duration must be a duration of at least 1s, such as 30s or 2m, not '${values.duration}'`);
    const users = Number(values.users);
    if (!Number.isInteger(users) || users < 1)
      throw new UsageError(`--users must be a positive whole number, not '${values.users}'`);
    if (values.runtime !== undefined && values.runtime !== 'containers' && values.runtime !== 'processes')
      throw new UsageError(`--runtime must be containers or processes, not '${values.runtime}'`);
    const scenario = values.scenario === undefined ? undefined : await candidateScenarios(values.scenario);
    const fallback = defaultRuntime();
    const runtime: Runtime = (values.runtime as Runtime | undefined) ?? fallback.runtime;
    console.log(`modelship local ${action} (${runtime})`);
    if (!values.runtime && fallback.note) console.log(`  ! ${fallback.note}`);
    const tarball = values.model
      ? await releaseTarball(resolve(values.model))
      : await sampleReleaseTarball(action === 'demo' ? { simSlowdown: DEMO_MODEL_COST } : {});
    const demo = action === 'demo';
    const then = demo
      ? [
          {
            tag: DEMO_RELEASES[1],
            tarball: await sampleReleaseTarball({ simSlowdown: DEMO_MODEL_COST * DEMO_SLOWDOWN }),
          },
        ]
      : [];
    const interrupt = new AbortController();
    // Stopped by Ctrl-C, `kill` or a closed terminal: everything the stack started, containers too, is stopped.
    const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    const onSignal = () => interrupt.abort();
    for (const signal of SIGNALS) process.once(signal, onSignal);
    // A reader that went away (`| head`) is a hangup too: stop the stack, rather than die of EPIPE and leave it running.
    process.stdout.on('error', onSignal);
    const release = runLocalRelease({
      signal: interrupt.signal,
      dir: resolve(values.dir),
      runtime,
      tarball,
      ...(demo ? { tag: DEMO_RELEASES[0], then, functionsEnv: { GATE_P99_BOUND_MS: String(DEMO_P99_BOUND_MS) } } : {}),
      ...(scenario ? { scenario } : {}),
      durationS: Math.ceil(durationMs / 1000),
      users,
      print: (line) => console.log(line),
    });
    try {
      const result = await release;
      if (!demo) return result.code;
      const verdict = demoVerdict(result.runs, result.serving);
      console.log(verdict.line);
      return verdict.ok ? 0 : 1;
    } catch (err) {
      if (!interrupt.signal.aborted) throw err;
      console.log('interrupted: everything the local stack started is stopped');
      return 130;
    } finally {
      // The stdout listener stays: the last lines may still go to a reader that has gone.
      for (const signal of SIGNALS) process.off(signal, onSignal);
    }
  },
};
