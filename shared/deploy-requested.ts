import { servingParameters } from './measured-deployment.js';
import { armFields, armKey, armOf, roleOf } from './arm.js';
import { launchWave, startCandidates } from './candidates.js';
import type { Config } from './config.js';
import {
  deployScenario,
  loadScenario,
  teardownScenario,
  UnknownScenarioError,
  type Clock,
  type KubeClient,
  type Scenario,
} from './deploy/index.js';
import type { Deadlines } from './deadline.js';
import { errorMessage, MessageError, ModelshipError, TransientError } from './errors.js';
import { JOB_MARGIN_S, loadTestSeconds } from './launch-load-test.js';
import { runningRun } from './run-guard.js';
import { reportFailure } from './run-failure.js';
import { FUNCTIONS } from './wiring.js';
import type { Publish } from './gcp/publisher.js';
import { runOnce } from './idempotency.js';
import type { Logger } from './log.js';
import type { DeployRequested, LoadProfile, LoadTestRequested } from './messages.js';
import { RUN_HOLDER, type ScenarioRecord, type Store } from './store.js';

export const DEPLOY_SETTINGS = [
  'K8S_NAMESPACE',
  'TARGET_IMAGE_REPOSITORY',
  'CANDIDATE_VCPUS',
  'CANDIDATE_RETENTION',
  'DEPLOY_BUDGET_S',
  'DEPLOY_MAX_FOLLOW_UPS',
  'DEPLOY_REPLICAS',
  'DEPLOY_NODE_SELECTOR',
  'LOAD_TEST_USERS',
  'LOAD_TEST_SPAWN_RATE',
  'LOAD_TEST_THINK_TIME_MS',
  'LOAD_TEST_DURATION_S',
  'LOAD_TEST_THRESHOLDS',
  'LOAD_TEST_REQUEST_BYTES',
  'LOAD_TEST_MAX_TASKS',
  'LOAD_TEST_MODE',
  'LOAD_TEST_P99_BOUND_MS',
  'LOAD_TEST_ERRORS_BOUND',
  'LOAD_TEST_START_RPS',
  'LOAD_TEST_PROBE_S',
] as const;

export interface DeployRequestedDeps {
  config: Config<(typeof DEPLOY_SETTINGS)[number]>;
  store: Store;
  publish: Publish;
  log: Logger;
  clock: Clock;
  /** A client for the cluster, built per invocation (GKE tokens are short-lived). */
  kube: () => Promise<KubeClient>;
  scenario?: (name: string) => Promise<Scenario>;
  deadlines: Deadlines;
}

/** Another run's rollout holds the namespace: this one waits for it (the message is delivered again later). */
export class RolloutBusyError extends TransientError {
  override readonly name = 'RolloutBusyError';
}

/**
 * The lock of a namespace: one run at a time rolls out and measures candidates there, and promotes one, so that no
 * other run changes what is measured or what serves meanwhile.
 */
export const rolloutLock = (namespace: string) => `deploy/${namespace}`;

/** Only images the pipeline builds are deployed: in TARGET_IMAGE_REPOSITORY, by digest. */
export function checkRepository(image: string, repository: string): void {
  if (!image.startsWith(`${repository}@sha256:`)) {
    throw new MessageError(
      `image ${image} is not in ${repository} (TARGET_IMAGE_REPOSITORY): refused, only images the pipeline builds are deployed`,
    );
  }
}

/** How long one rollout may take, follow-ups included. */
export const rolloutSeconds = (config: DeployRequestedDeps['config']) =>
  (config.DEPLOY_MAX_FOLLOW_UPS + 1) * (config.DEPLOY_BUDGET_S + 60);

/**
 * Takes the namespace for the run until `holdS` from now (taking it again renews it), or throws RolloutBusyError
 * after moving the run's deadline past the holder's expiry.
 */
export async function lockNamespace(
  m: { runId: string; scenario?: string | null },
  holdS: number,
  deps: Pick<DeployRequestedDeps, 'store' | 'config' | 'deadlines' | 'clock'>,
  stage: 'deploy' | 'promote',
): Promise<string> {
  const namespace = deps.config.K8S_NAMESPACE;
  const lock = rolloutLock(namespace);
  const holder = { runId: m.runId, scenario: RUN_HOLDER, expiresAt: deps.deadlines.after(holdS, stage, '').at };
  const taken = await deps.store.acquireLock(lock, holder);
  if (taken.acquired) return lock;
  const busy = taken.holder;
  const waitS = (Date.parse(busy.expiresAt) - deps.clock.now()) / 1000;
  const what = `run ${busy.runId} to release namespace ${namespace}, then this ${stage}`;
  await deps.store.expect(
    m.runId,
    deps.deadlines.after(Math.max(0, waitS) + rolloutSeconds(deps.config), stage, what, m.scenario ?? undefined),
  );
  throw new RolloutBusyError(
    `namespace ${namespace} is being rolled out and measured by run ${busy.runId} until at most ${busy.expiresAt}: this ${stage} waits, one run at a time`,
  );
}

/** A redeploy message opens its run and plans its candidates, as `modelship redeploy` and `sweep` do. */
async function openRedeploy(m: DeployRequested, deps: DeployRequestedDeps, log: Logger): Promise<boolean> {
  if (m.requestedBy !== 'redeploy') return false;
  const run = await deps.store.getRun(m.runId);
  if (run && Object.keys(run.scenarios ?? {}).length > 0) return false;
  checkRepository(m.image, deps.config.TARGET_IMAGE_REPOSITORY);
  if (!run) await deps.store.createRun({ runId: m.runId });
  const scenarios = m.candidates ?? [m.scenario];
  await startCandidates(
    { runId: m.runId, image: m.image, scenarios, ...(m.profile ? { profile: m.profile } : {}) },
    deps,
  );
  log.info('run opened for a redeploy', { image: m.image, scenarios: scenarios.join(',') });
  return true;
}

/**
 * `deploy-requested` → one candidate of a run rolled out beside the serving deployment → `load-test-requested`, or
 * `pipeline-failed`. A candidate that fails is deleted, never rolled back: it never served. One rollout per run,
 * candidate and attempt, however often the message is delivered; a rollout that outlives one invocation continues
 * in a follow-up DeployRequested instead of blocking the function.
 */
export async function handleDeployRequested(m: DeployRequested, deps: DeployRequestedDeps): Promise<void> {
  const { store, config, deadlines } = deps;
  const key = armKey(m.scenario, m.arm);
  const log = deps.log.child({ runId: m.runId, scenario: key });
  if (await openRedeploy(m, deps, log)) return;
  checkRepository(m.image, config.TARGET_IMAGE_REPOSITORY);
  const run = await runningRun(store, m.runId, `DeployRequested (${key})`, log);
  if (!run) return;
  const mine = run.scenarios?.[key];
  if (mine?.image !== m.image) {
    throw new MessageError(
      `image ${m.image} is not the one run ${m.runId} ${mine?.image ? `has for ${key} (${mine.image})` : `has: the run has no candidate ${key}`}: refused`,
    );
  }
  if (mine.status === 'succeeded' || mine.status === 'failed') {
    log.warn('deploy request for a candidate that has ended ignored', { status: mine.status });
    return;
  }
  const attempt = m.rollout?.attempt ?? 1;
  const fail = (reason: string) => reportFailure({ runId: m.runId, stage: 'deploy', scenario: key, reason }, deps);

  let scenario: Scenario;
  try {
    scenario = await (deps.scenario ?? loadScenario)(m.scenario);
  } catch (err) {
    if (!(err instanceof UnknownScenarioError || err instanceof ModelshipError)) throw err;
    log.error('scenario cannot be deployed', { error: errorMessage(err) });
    await fail(errorMessage(err));
    return;
  }

  const rolloutS = rolloutSeconds(config);
  const profile = m.profile ?? run.profile ?? loadProfile(config);
  // An attempt's claim lasts as long as the attempt can (its Kubernetes calls are bounded too), so that a
  // redelivery takes over from a crashed deployer in about a minute more than the budget, not the function's 540 s.
  const attemptS = config.DEPLOY_BUDGET_S + 60;
  const claim = { staleMs: Math.min(FUNCTIONS.deployScenario.timeoutS, attemptS) * 1000 };
  const outcome = await runOnce(store, `deploy/${m.runId}/${key}/${attempt}`, claim, async () => {
    // The lock covers the rollout and the load test after it, so that no other run changes what is measured.
    const holdS = rolloutS + FUNCTIONS.launchLoadTest.timeoutS + loadTestSeconds(profile) + JOB_MARGIN_S;
    const lock = await lockNamespace({ runId: m.runId, scenario: key }, holdS, deps, 'deploy');
    const kube = await deps.kube();
    if (attempt === 1) {
      await store.setScenarios(m.runId, { [key]: { status: 'running', lock } });
      await store.startStage(
        m.runId,
        'deploy',
        { scenario: key, image: m.image },
        deadlines.after(rolloutS, 'deploy', `the rollout of ${key}`, key),
      );
      // Candidates of earlier waves have been measured: their room is this wave's.
      await tearDown(earlierWaves(run.scenarios ?? {}, mine.wave ?? 0), config, kube);
    }
    const result = await deployScenario(
      {
        scenario,
        image: m.image,
        runId: m.runId,
        role: roleOf(m.arm),
        final: attempt > config.DEPLOY_MAX_FOLLOW_UPS,
        ...(m.rollout ? { startedAt: m.rollout.startedAt } : {}),
      },
      { kube, clock: deps.clock, log, options: deployOptions(config) },
    );
    switch (result.outcome) {
      case 'succeeded': {
        const endpoint = result.endpoint ?? '';
        // The one target a load test of this run and candidate may have (launchLoadTest checks it), and the load
        // test asked for once the whole wave is deployed.
        const loadTest: LoadTestRequested = {
          type: 'LoadTestRequested',
          version: 1,
          runId: m.runId,
          scenario: m.scenario,
          ...armFields(m.arm),
          image: m.image,
          target: endpoint,
          modelName: scenario.tfserving.modelName,
          profile,
        };
        const deployed = servingParameters(scenario, deployOptions(config).replicas);
        await store.setScenarios(m.runId, { [key]: { endpoint, loadTest, deployed } });
        await store.finishStage(m.runId, 'deploy', {
          status: 'succeeded',
          details: { scenario: key, image: m.image, endpoint },
        });
        // Read after this candidate's write: the last of the wave to write sees every other one's.
        const candidates = (await store.getRun(m.runId))?.scenarios ?? {};
        if (!(await launchWave(m.runId, mine.wave ?? 0, candidates, deps))) {
          log.info('deployed; waiting for the rest of its wave');
        }
        break;
      }
      case 'in-progress':
        await deps.publish({ ...m, rollout: { startedAt: result.startedAt, attempt: attempt + 1 } });
        break;
      default:
        await fail(result.reason ?? result.outcome);
    }
    return { outcome: result.outcome };
  });
  if (outcome.duplicate) log.info('duplicate deploy request ignored', { attempt });
}

/** How scenarios are rendered in this cluster. */
export function deployOptions(config: DeployRequestedDeps['config']) {
  return {
    namespace: config.K8S_NAMESPACE,
    budgetMs: config.DEPLOY_BUDGET_S * 1000,
    nodeSelector: config.DEPLOY_NODE_SELECTOR,
    ...(config.DEPLOY_REPLICAS ? { replicas: Number(config.DEPLOY_REPLICAS) } : {}),
  };
}

/** The candidates of waves before `wave`. */
const earlierWaves = (candidates: Record<string, ScenarioRecord>, wave: number) =>
  Object.fromEntries(Object.entries(candidates).filter(([, c]) => (c.wave ?? 0) < wave));

/** Deletes the objects of these candidates (already gone is fine). */
export async function tearDown(
  candidates: Record<string, ScenarioRecord>,
  config: DeployRequestedDeps['config'],
  kube: KubeClient,
): Promise<void> {
  for (const key of Object.keys(candidates)) {
    const { scenario, arm } = armOf(key);
    await teardownScenario(kube, { role: roleOf(arm), scenario, namespace: config.K8S_NAMESPACE });
  }
}
function loadProfile(config: DeployRequestedDeps['config']): LoadProfile {
  return {
    users: config.LOAD_TEST_USERS,
    spawnRate: config.LOAD_TEST_SPAWN_RATE,
    thinkTimeMs: config.LOAD_TEST_THINK_TIME_MS,
    durationS: config.LOAD_TEST_DURATION_S,
    thresholds: config.LOAD_TEST_THRESHOLDS,
    requestBytes: config.LOAD_TEST_REQUEST_BYTES,
    maxTasks: config.LOAD_TEST_MAX_TASKS,
    ...(config.LOAD_TEST_MODE === 'capacity'
      ? {
          capacity: {
            p99BoundMs: config.LOAD_TEST_P99_BOUND_MS,
            errorsBound: config.LOAD_TEST_ERRORS_BOUND,
            startRps: config.LOAD_TEST_START_RPS,
            probeS: config.LOAD_TEST_PROBE_S,
          },
        }
      : {}),
  };
}
