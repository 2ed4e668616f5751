import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { messageSummary } from '../loadtest/pipeline-sink.js';
import type { Summary } from '../loadtest/summary.js';
import { SERVING_LINE_PREFIX } from '../local/tfserving-sim/index.js';
import { GATE_DEFAULTS, judgeCandidate, type ArmMeasurement, type Verdict } from '../shared/gate/index.js';
import { SMALL_SEED_SIGNATURES, writeFixtureSavedModel } from '../shared/tfserving/index.js';

/**
 * `npm run bench:gate`: the gate's false-alarm rate and its detection rate, in the simulator. Each pair is two
 * simulators (a 4-vCPU scenario: --cpus 4, inter-op 4) and two load tests (closed loop, USERS users), the two arms
 * run at the same time as the pipeline runs them, so that the noise of this shared machine hits both; simulators on
 * core 0, load generators on core 1 (taskset). "Identical" pairs serve the same model in both arms; "slower" pairs
 * serve the candidate with assets.extra/tfs-sim.json {"slowdown": SLOWDOWN}. Pairs alternate, identical then slower,
 * and each pair starts fresh processes. Every pair is judged by judgeCandidate with GATE_DEFAULTS, and again at a
 * few other tolerances from the same measurements.
 * Env: BENCH_PAIRS (20 of each), BENCH_DURATION (s, 6), BENCH_WARMUP (s, 1), BENCH_USERS (16), BENCH_SLOWDOWN (1.1),
 * BENCH_CPU_MS (the model's single-core ms per example in the simulator, 80: its default).
 */
const PAIRS = Number(process.env.BENCH_PAIRS ?? 20);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 6);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 1);
const USERS = Number(process.env.BENCH_USERS ?? 16);
const SLOWDOWN = Number(process.env.BENCH_SLOWDOWN ?? 1.1);
/**
 * The model's cost in the simulator. A costlier one (a bigger model) makes its simulated time, not this shared
 * machine's own work per request, rule the latency: that work is the same in both arms and dilutes the difference
 * the gate must see (docs/gate.md).
 */
const CPU_MS = Number(process.env.BENCH_CPU_MS ?? 80);
const TOLERANCES = [0.02, 0.03, GATE_DEFAULTS.tolerance, 0.07];
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const PIN = availableParallelism() >= 2;

/** A command on one core when this machine has two or more. */
function pinned(core: number, args: string[]): ChildProcess {
  const [command, ...rest] = PIN ? ['taskset', '-c', String(core), ...args] : args;
  return spawn(command as string, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function startSim(basePath: string): Promise<{ port: number; child: ChildProcess }> {
  const child = pinned(0, [
    process.execPath,
    CLI,
    'tfs-sim',
    '--model_name=resnet',
    `--model_base_path=${basePath}`,
    '--port=0',
    '--cpus=4',
    '--tensorflow_inter_op_parallelism=4',
    `--sim_cpu_ms_per_example=${CPU_MS}`,
    '--load_time_ms=0',
  ]);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => {
      if (l.startsWith(SERVING_LINE_PREFIX)) resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`tfs-sim exited ${code} before serving:\n${stderr}`)));
  });
  const port = Number(/gRPC [\d.]+:(\d+)/.exec(line)?.[1]);
  return { port, child };
}

function loadTest(port: number, out: string): Promise<ArmMeasurement> {
  const child = pinned(1, [
    process.execPath,
    CLI,
    'loadtest',
    '--target',
    `127.0.0.1:${port}`,
    '--users',
    String(USERS),
    '--spawn-rate',
    String(USERS * 10),
    '--duration',
    `${DURATION_S}s`,
    '--warmup',
    `${WARMUP_S}s`,
    '--workers',
    '0',
    '--progress',
    'off',
    '--out',
    out,
  ]);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d));
  child.stderr?.on('data', (d: Buffer) => (output += d));
  return new Promise((resolve, reject) => {
    child.once('exit', () => {
      readFile(join(out, 'summary.json'), 'utf8').then(
        (text) => {
          const summary = JSON.parse(text) as Summary;
          resolve({ figures: messageSummary(summary), summary });
        },
        () => reject(new Error(`the load test wrote no summary:\n${output.slice(-3000)}`)),
      );
    });
  });
}

interface Pair {
  kind: 'identical' | 'slower';
  candidate: ArmMeasurement;
  baseline: ArmMeasurement;
  verdict: Verdict;
}

/** One pair: both simulators, then both load tests at the same time. */
async function runPair(kind: Pair['kind'], models: Record<Pair['kind'], string>, work: string, n: number) {
  const [baselineSim, candidateSim] = await Promise.all([startSim(models.identical), startSim(models[kind])]);
  try {
    const [baseline, candidate] = await Promise.all([
      loadTest(baselineSim.port, join(work, `${n}-${kind}-baseline`)),
      loadTest(candidateSim.port, join(work, `${n}-${kind}-candidate`)),
    ]);
    return { kind, candidate, baseline, verdict: judgeCandidate(candidate, baseline) };
  } finally {
    baselineSim.child.kill('SIGTERM');
    candidateSim.child.kill('SIGTERM');
  }
}

const pct = (x: number | null | undefined) => (x == null ? '—' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);
const pv = (p: number | null | undefined) => (p == null ? '—' : p < 0.001 ? p.toExponential(0) : p.toFixed(3));

function row(i: number, pair: Pair): string {
  const { verdict, candidate, baseline } = pair;
  const t = verdict.tests;
  return [
    String(i).padStart(2),
    pair.kind.padEnd(9),
    String(baseline.figures.requests).padStart(5),
    String(candidate.figures.requests).padStart(5),
    pct(t?.latency?.effect).padStart(7),
    pv(t?.latency?.p).padStart(7),
    pct(verdict.deltas?.p99).padStart(7),
    pct(t?.throughput?.effect).padStart(7),
    pv(t?.throughput?.p).padStart(7),
    verdict.passed ? 'pass' : 'FAIL',
  ].join('  ');
}

const work = await mkdtemp(join(tmpdir(), 'modelship-bench-gate-'));
try {
  const models = {
    identical: (await writeFixtureSavedModel(join(work, 'models', 'same'), { signatures: SMALL_SEED_SIGNATURES }))
      .basePath,
    slower: (
      await writeFixtureSavedModel(join(work, 'models', 'slow'), {
        signatures: SMALL_SEED_SIGNATURES,
        simSlowdown: SLOWDOWN,
      })
    ).basePath,
  };
  console.log(
    `gate bench: ${PAIRS} identical and ${PAIRS} slower (x${SLOWDOWN}) pairs, each arm a closed loop of ${USERS} users for ` +
      `${DURATION_S} s (${WARMUP_S} s warmup) against tfs-sim --cpus 4 (inter-op 4, ${CPU_MS} ms per example), both arms at once; ` +
      `${PIN ? 'simulators on core 0, load tests on core 1' : 'not pinned (one core)'}; alpha ${GATE_DEFAULTS.alpha}, tolerance ${GATE_DEFAULTS.tolerance}`,
  );
  console.log(' #  pair       reqB   reqC   latency  p(lat)   Δp99    thrpt   p(thr)  verdict');
  const pairs: Pair[] = [];
  const started = performance.now();
  for (let i = 0; i < PAIRS; i++) {
    for (const kind of ['identical', 'slower'] as const) {
      const pair = await runPair(kind, models, work, i);
      pairs.push(pair);
      console.log(row(pairs.length, pair));
    }
  }
  const minutes = (performance.now() - started) / 60_000;
  const of = (kind: Pair['kind']) => pairs.filter((p) => p.kind === kind);
  const failing = (list: Pair[], tolerance: number) =>
    list.filter((p) => !judgeCandidate(p.candidate, p.baseline, { tolerance }).passed).length;
  console.log(`\n${pairs.length} pairs in ${minutes.toFixed(1)} min`);
  console.log('tolerance  false alarms (identical)  detections (slower)');
  for (const tolerance of TOLERANCES) {
    const alarms = failing(of('identical'), tolerance);
    const detected = failing(of('slower'), tolerance);
    const mark = tolerance === GATE_DEFAULTS.tolerance ? ' (default)' : '';
    console.log(
      `${`${(tolerance * 100).toFixed(0)}%${mark}`.padEnd(13)}  ${`${alarms}/${PAIRS} = ${((alarms / PAIRS) * 100).toFixed(0)}%`.padEnd(24)}  ${detected}/${PAIRS} = ${((detected / PAIRS) * 100).toFixed(0)}%`,
    );
  }
  const significant = of('identical').filter((p) => (p.verdict.tests?.latency?.p ?? 1) < GATE_DEFAULTS.alpha).length;
  const shifts = (kind: Pair['kind']) =>
    of(kind)
      .map((p) => p.verdict.tests?.latency?.effect ?? NaN)
      .sort((a, b) => a - b);
  const [same, slow] = [shifts('identical'), shifts('slower')];
  console.log(
    `identical pairs with the latency test alone at p < ${GATE_DEFAULTS.alpha}: ${significant}/${PAIRS}; ` +
      `latency shift, identical: ${pct(same[0])} to ${pct(same.at(-1))}; slower: ${pct(slow[0])} to ${pct(slow.at(-1))}`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
