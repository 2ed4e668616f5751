import type { Config } from './config.js';
import type { Deadlines } from './deadline.js';
// From their own modules, not the barrel: the barrel loads the Kubernetes client, a second of a cold start in
// onBuildFinished and reportResults, which never call the cluster.
import { loadScenario } from './deploy/scenario-loader.js';
import { scenarioVcpus, type Scenario } from './deploy/scenario.js';
import type { Publish } from './gcp/publisher.js';
import { runOnce } from './idempotency.js';
import type { Logger } from './log.js';
import type { LoadProfile } from './messages.js';
import { armFields, armKey, armOf } from './arm.js';
import type { ScenarioRecord, Store } from './store.js';
import { FUNCTIONS } from './wiring.js';

/**
 * The candidates of a run. Each scenario of a release is deployed as a candidate beside the serving deployment
 * (never in place of it) and load-tested; when an image serves already and it is not the release's, the serving
 * image is deployed too with the same scenario, as that scenario's baseline, and measured at the same time: the
 * gate compares like with like, under the same cluster conditions. Candidates that fit CANDIDATE_VCPUS together
 * are measured side by side; the others in later waves, a scenario and its baseline always in the same wave.
 */

/**
 * The wave of each group (a scenario with its baseline): groups in order, a new wave whenever the next group would
 * take the wave past `budget` vCPUs (0: no budget, one wave). A group larger than the budget goes alone.
 */
export function planWaves(groupVcpus: readonly number[], budget: number): number[] {
  let wave = 0;
  let used = 0;
  return groupVcpus.map((vcpus) => {
    if (budget > 0 && used > 0 && used + vcpus > budget) {
      wave += 1;
      used = 0;
    }
    used += vcpus;
    return wave;
  });
}

export interface CandidateDeps {
  store: Store;
  publish: Publish;
  log: Logger;
  deadlines: Deadlines;
  config: Config<'K8S_NAMESPACE' | 'CANDIDATE_VCPUS'>;
  scenario?: (name: string) => Promise<Scenario>;
}

/** What a run measures: the release's image with these scenarios, under this load (absent: the deployer's). */
export interface CandidateSet {
  runId: string;
  image: string;
  scenarios: readonly string[];
  profile?: LoadProfile;
}

/**
 * Plans the candidates of a run (with baselines against what serves now, in waves) and asks for the first wave.
 * Safe to repeat: the plan is the same, and each candidate is requested once.
 */
export async function startCandidates(set: CandidateSet, deps: CandidateDeps): Promise<void> {
  const { store, config } = deps;
  const planned = (await store.getRun(set.runId))?.scenarios ?? {};
  if (Object.values(planned).some((c) => c.wave !== undefined)) {
    // Planned by an attempt that died before it had asked for every candidate: ask again, plan nothing new.
    await requestWave(set.runId, 0, planned, deps);
    return;
  }
  const serving = await store.lastGoodDeployment(config.K8S_NAMESPACE);
  const baseline = serving && serving.image !== set.image ? serving.image : undefined;
  const scenarios = await Promise.all(set.scenarios.map((name) => (deps.scenario ?? loadScenario)(name)));
  const waves = planWaves(
    scenarios.map((s) => scenarioVcpus(s) * (baseline ? 2 : 1)),
    config.CANDIDATE_VCPUS,
  );
  const records: Record<string, ScenarioRecord> = {};
  scenarios.forEach(({ name }, i) => {
    const wave = waves[i] ?? 0;
    records[armKey(name)] = { status: 'pending', scenario: name, arm: 'release', image: set.image, wave };
    if (baseline) {
      records[armKey(name, 'baseline')] = { status: 'pending', scenario: name, arm: 'baseline', image: baseline, wave };
    }
  });
  await store.updateRun(set.runId, {
    ...(set.profile ? { profile: set.profile } : {}),
    serving: serving ? { scenario: serving.scenario, image: serving.image } : null,
  });
  const names = Object.keys(records).join(', ');
  await store.setScenarios(
    set.runId,
    records,
    deps.deadlines.after(FUNCTIONS.deployScenario.timeoutS, 'deploy', `deployScenario to roll out ${names}`),
  );
  deps.log.info('candidates planned', {
    runId: set.runId,
    candidates: names,
    waves: Math.max(0, ...waves) + 1,
    ...(serving ? { baseline: serving.image } : {}),
  });
  await requestWave(set.runId, 0, records, deps);
}

/** Asks deployScenario for each candidate of a wave, once per candidate however often this is called. */
export async function requestWave(
  runId: string,
  wave: number,
  candidates: Readonly<Record<string, ScenarioRecord>>,
  deps: Pick<CandidateDeps, 'store' | 'publish' | 'log'>,
): Promise<void> {
  const claim = { staleMs: FUNCTIONS.deployScenario.timeoutS * 1000 };
  for (const [key, c] of Object.entries(candidates)) {
    if (c.wave !== wave || !c.image) continue;
    const { scenario } = armOf(key);
    const image = c.image;
    await runOnce(deps.store, `candidate/${runId}/${key}`, claim, async () => {
      await deps.publish({
        type: 'DeployRequested',
        version: 1,
        runId,
        scenario,
        ...armFields(c.arm),
        image,
        requestedBy: 'pipeline',
      });
      return {};
    });
  }
  deps.log.info('wave requested', { runId, wave });
}

/** A candidate that is no longer measured, passed or not. */
const ended = (c: ScenarioRecord) => c.status === 'succeeded' || c.status === 'failed';

/**
 * The load tests of a wave start together, once each of its candidates is deployed (its load test recorded) or has
 * ended: candidates and their baselines are then measured at the same time, under the same cluster conditions, and
 * none while a neighbour still rolls out. Whoever completes the wave calls this (its last deployer, or reportResults
 * ending a candidate that failed), with the candidates as read after its own write; each load test is asked for
 * once however often it is called. Returns whether the wave was ready.
 */
export async function launchWave(
  runId: string,
  wave: number,
  candidates: Readonly<Record<string, ScenarioRecord>>,
  deps: Pick<CandidateDeps, 'store' | 'publish' | 'log' | 'deadlines'>,
): Promise<boolean> {
  const members = Object.entries(candidates).filter(([, c]) => (c.wave ?? 0) === wave);
  if (!members.every(([, c]) => c.loadTest || ended(c))) return false;
  const claim = { staleMs: FUNCTIONS.launchLoadTest.timeoutS * 1000 };
  for (const [key, c] of members) {
    const request = c.loadTest;
    if (!request || ended(c)) continue;
    await runOnce(deps.store, `load-test-requested/${runId}/${key}`, claim, async () => {
      await deps.store.expect(
        runId,
        deps.deadlines.after(
          FUNCTIONS.launchLoadTest.timeoutS,
          'load-test',
          `launchLoadTest to start the load test of ${key}`,
          key,
        ),
      );
      await deps.publish(request);
      return {};
    });
  }
  deps.log.info('wave deployed; its load tests requested', { runId, wave, candidates: members.length });
  return true;
}

/**
 * The wave to request once a candidate has ended: the lowest wave with candidates still pending, once no earlier
 * wave has one running. Requesting a wave again is harmless (requestWave asks for each candidate once).
 */
export function waveToRequest(candidates: Readonly<Record<string, ScenarioRecord>>): number | undefined {
  const all = Object.values(candidates);
  const pending = all.filter((c) => c.status === 'pending').map((c) => c.wave ?? 0);
  if (pending.length === 0) return undefined;
  const wave = Math.min(...pending);
  return all.some((c) => c.status === 'running' && (c.wave ?? 0) < wave) ? undefined : wave;
}
