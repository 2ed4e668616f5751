import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLocalImages, type LocalImages } from '../local/containers/images.js';
import { startRegistry } from '../local/containers/registry.js';
import { startFirestoreEmulator, startPubsubEmulator } from '../local/emulators/google-sdk.js';
import { runLocalRelease } from '../local/local-release.js';
import { sampleReleaseTarball } from '../local/release-tarball.js';
import type { Runtime } from '../local/stack.js';
import type { RunRecord } from '../shared/store.js';
import { candidateTimeline, stagger, type CandidateMoments } from './candidate-timeline.js';
import { percentile } from './pin.js';
import { AUTO_PORTS } from '../local/emulator-ports.js';

/**
 * `npm run bench:candidates`: the wall time of a release that compares three scenarios side by side beside a
 * release with one (issue 14, goal: at most 1.5x). Each round runs both, in alternating order, as whole local
 * releases (webhook → bake → candidates deployed and load-tested → gate → promotion → report) on one pair of
 * emulators; each release gets a stack and a project of its own, so it starts with nothing serving: its scenarios
 * are candidates without baselines. Two times per release: the run's own (its creation to its last write, the
 * stack's start-up left out) and its measuring part (the bake's end to the run's end: candidates rolled out, load
 * tests, gate, promotion, report), which is what the number of scenarios changes; the bake is the same in both.
 *
 * Runtime: processes by default. The pipeline code is the same in both runtimes (the functions, the emulators of
 * Kubernetes and Cloud Run); only pods and load-test tasks differ, simulator and load generator processes instead of
 * containers. On this machine's two shared cores, containers add podman's and conmon's start-up to every pod and
 * task, which grows with their number and is not what a cluster with room for the candidates would pay.
 * `BENCH_RUNTIME=containers` measures it that way too.
 *
 * Env: BENCH_ROUNDS (3), BENCH_RUNTIME (processes | containers), BENCH_TIMEOUT_S (per release, 600),
 * BENCH_DURATION_S (each load test, 5), BENCH_USERS (5), BENCH_KEEP=1 keeps the releases' directories (their logs).
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RUNTIME = (process.env.BENCH_RUNTIME ?? 'processes') as Runtime;
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 600) * 1000;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const USERS = Number(process.env.BENCH_USERS ?? 5);
const KEEP = process.env.BENCH_KEEP === '1';
const GOAL = 1.5;

/** Shipped scenarios, one pod each (DEPLOY_REPLICAS=1): the same machine at three inter-op settings. */
const SETS = {
  one: ['2n-8c-16r-interop4'],
  three: ['2n-8c-16r-interop2', '2n-8c-16r-interop4', '2n-8c-16r-interop8'],
} as const;
type SetName = keyof typeof SETS;

if (!['processes', 'containers'].includes(RUNTIME)) {
  throw new Error(`BENCH_RUNTIME=${RUNTIME}: expected processes or containers`);
}

interface Timing {
  /** The run's own time: its creation to its last write, s. */
  runS: number;
  /** The bake's end to the run's end, s. */
  measuringS: number;
  /** Each stage's recorded span, s (deploy and load-test: the last candidate's, the run keeps one per stage). */
  stages: Record<string, number>;
  /** Where the measuring part goes, s, from the candidates' moments in the functions' log. */
  phases: Record<Phase, number>;
  timeline: Record<string, CandidateMoments>;
  dir: string;
}

const PHASES = {
  firstRollout: "bake's end → first rollout",
  rolloutStagger: 'first → last rollout start',
  rollout: 'longest rollout',
  launchStagger: 'first → last load test start',
  loadTest: 'longest load test (launch → figures)',
  lastEnded: "bake's end → last candidate measured",
  tail: 'last measured → run end (gate, promotion, report)',
} as const;
type Phase = keyof typeof PHASES;

const work = mkdtempSync(join(tmpdir(), 'modelship-bench-candidates-'));
const [pubsub, firestore] = await Promise.all([startPubsubEmulator(), startFirestoreEmulator()]);
const registry = RUNTIME === 'containers' ? await startRegistry({ dir: join(work, 'registry') }) : undefined;
const stops = [pubsub, firestore, ...(registry ? [registry] : [])];
let releases = 0;

const seconds = (from: string | undefined, to: string | undefined) =>
  from && to ? (Date.parse(to) - Date.parse(from)) / 1000 : NaN;

function timing(run: RunRecord, dir: string, scenarios: number): Timing {
  const stages = Object.fromEntries(
    Object.entries(run.stages).map(([name, s]) => [name, seconds(s?.startedAt, s?.endedAt)]),
  );
  const bakeEnd = run.stages.bake?.endedAt ?? run.createdAt;
  const timeline = candidateTimeline(join(dir, 'logs', 'functions.log'), bakeEnd);
  const moments = Object.values(timeline);
  if (moments.length !== scenarios || moments.some((m) => Object.keys(m).length !== 4)) {
    throw new Error(
      `expected the four moments of ${scenarios} candidates in ${dir}/logs/functions.log, found ${JSON.stringify(timeline)}: ` +
        'have the log messages of bench/candidate-timeline.ts changed?',
    );
  }
  const longest = (from: keyof CandidateMoments, to: keyof CandidateMoments) =>
    Math.max(...moments.map((m) => (m[to] ?? NaN) - (m[from] ?? NaN)));
  const measuringS = seconds(bakeEnd, run.updatedAt);
  const lastEnded = Math.max(...moments.map((m) => m.ended ?? NaN));
  return {
    runS: seconds(run.createdAt, run.updatedAt),
    measuringS,
    stages,
    phases: {
      firstRollout: Math.min(...moments.map((m) => m.applying ?? NaN)),
      rolloutStagger: stagger(timeline, 'applying'),
      rollout: longest('applying', 'deployed'),
      launchStagger: stagger(timeline, 'launched'),
      loadTest: longest('launched', 'ended'),
      lastEnded,
      tail: measuringS - lastEnded,
    },
    timeline,
    dir,
  };
}

async function release(set: SetName, images: LocalImages | undefined): Promise<Timing> {
  const n = ++releases;
  const dir = join(work, `release-${n}-${set}`);
  const lines: string[] = [];
  const { code, run } = await runLocalRelease({
    dir,
    tarball: await sampleReleaseTarball(),
    tag: `v1.0.${n}`,
    ports: AUTO_PORTS,
    emulatorHosts: { pubsub: pubsub.host, firestore: firestore.host },
    project: `bench-candidates-${n}`,
    runtime: RUNTIME,
    ...(images ? { images } : {}),
    scenario: SETS[set].join(','),
    // Every release promotes its best candidate, as a release on GKE would: on two shared cores, three candidates
    // measured at once hold a p99 far above the default bound of 500 ms, and a release that promotes nothing would
    // skip a rollout the one-scenario release does.
    functionsEnv: { DEPLOY_REPLICAS: '1', GATE_P99_BOUND_MS: '60000' },
    durationS: DURATION_S,
    users: USERS,
    timeoutMs: TIMEOUT_MS,
    print: (l) => lines.push(l),
  });
  if (code !== 0 || !run) {
    throw new Error(`the ${set}-scenario release failed (logs in ${join(dir, 'logs')}):\n${lines.join('\n')}`);
  }
  return timing(run, dir, SETS[set].length);
}

const median = (xs: readonly number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const spread = (xs: readonly number[], digits = 1) =>
  `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
const momentList = (m: CandidateMoments) =>
  Object.entries(m)
    .map(([name, at]) => `${name} +${(at as number).toFixed(1)}`)
    .join(', ');
const stageList = (t: Timing) =>
  Object.entries(t.stages)
    .map(([name, s]) => `${name} ${s.toFixed(1)}`)
    .join(', ');

try {
  let images: LocalImages | undefined;
  if (registry) {
    const t0 = performance.now();
    images = await buildLocalImages({ registry: registry.host, logFile: join(work, 'image-build.log') });
    console.log(`images built and pushed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  console.log(
    `runtime ${RUNTIME}; one: ${SETS.one.join(',')}; three: ${SETS.three.join(',')}; ` +
      `load tests ${DURATION_S} s, ${USERS} users; load average ${loadavg()[0]?.toFixed(1)}`,
  );
  const times: Record<SetName, Timing[]> = { one: [], three: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order: SetName[] = round % 2 ? ['three', 'one'] : ['one', 'three'];
    for (const set of order) {
      const t = await release(set, images);
      times[set].push(t);
      console.log(
        `round ${round + 1}, ${set}: run ${t.runS.toFixed(1)} s, measuring ${t.measuringS.toFixed(1)} s ` +
          `(${stageList(t)}); load average ${loadavg()[0]?.toFixed(1)}${KEEP ? `; ${t.dir}` : ''}`,
      );
      for (const [key, m] of Object.entries(t.timeline)) console.log(`  ${key}: ${momentList(m)}`);
    }
  }

  const run = (set: SetName) => times[set].map((t) => t.runS);
  const measuring = (set: SetName) => times[set].map((t) => t.measuringS);
  const ratios = (of: (set: SetName) => number[]) => of('three').map((x, i) => x / (of('one')[i] ?? NaN));
  console.log(
    `\n| release | run time, median (min–max) of ${ROUNDS}, s | measuring part (bake's end → run's end), s |`,
  );
  console.log('| --- | --- | --- |');
  for (const set of ['one', 'three'] as const) {
    console.log(
      `| ${SETS[set].length} scenario${set === 'one' ? '' : 's'} | ${median(run(set)).toFixed(1)} (${spread(run(set))}) ` +
        `| ${median(measuring(set)).toFixed(1)} (${spread(measuring(set))}) |`,
    );
  }
  const r = ratios(run);
  const m = ratios(measuring);
  console.log(
    `| ratio 3 / 1, median of the rounds' (min–max) | ${median(r).toFixed(2)}x (${spread(r, 2)}) ` +
      `| ${median(m).toFixed(2)}x (${spread(m, 2)}) |`,
  );
  console.log(`\n| where the measuring part goes, median, s | 1 scenario | 3 scenarios |`);
  console.log('| --- | --- | --- |');
  for (const [phase, what] of Object.entries(PHASES) as Array<[Phase, string]>) {
    const of = (set: SetName) => times[set].map((t) => t.phases[phase]);
    console.log(`| ${what} | ${median(of('one')).toFixed(1)} | ${median(of('three')).toFixed(1)} |`);
  }
  console.log(
    `\ngoal: at most ${GOAL}x: ${median(r) <= GOAL ? 'met' : 'not met'} on the run time, ` +
      `${median(m) <= GOAL ? 'met' : 'not met'} on the measuring part; load average at the end ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
} finally {
  await Promise.all(stops.map((s) => s.stop()));
  if (KEEP) console.log(`releases kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
