import type { Config } from './config.js';
import {
  deployScenario,
  loadScenario,
  UnknownScenarioError,
  type Clock,
  type KubeClient,
  type Manifest,
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
import type { DeployRequested, LoadProfile } from './messages.js';
import type { RunRecord, Store } from './store.js';

export const DEPLOY_SETTINGS = [
  'K8S_NAMESPACE',
  'TARGET_IMAGE_REPOSITORY',
  'DEPLOY_BUDGET_S',
  'DEPLOY_MAX_FOLLOW_UPS',
  'DEPLOY_REPLICAS',
  'DEPLOY_NODE_SELECTOR',
  'LOAD_TEST_USERS',
  'LOAD_TEST_SPAWN_RATE',
  'LOAD_TEST_THINK_TIME_MS',
  'LOAD_TEST_DURATION_S',
  'LOAD_TEST_THRESHOLDS',
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

/** The lock of the serving deployment of a namespace: one rollout, and its load test, at a time. */
export const rolloutLock = (namespace: string) => `deploy/${namespace}`;

/**
 * The image must be one the pipeline builds: in TARGET_IMAGE_REPOSITORY by digest, and for the pipeline's own
 * request, the very image the run's build produced (read back from Cloud Build by onBuildFinished).
 */
function checkImage(m: DeployRequested, repository: string, run: RunRecord | undefined): void {
  if (!m.image.startsWith(`${repository}@sha256:`)) {
    throw new MessageError(
      `image ${m.image} is not in ${repository} (TARGET_IMAGE_REPOSITORY): refused, only images the pipeline builds are deployed`,
    );
  }
  const baked = run?.scenarios?.[m.scenario]?.image;
  if (run && baked !== m.image) {
    throw new MessageError(
      `image ${m.image} is not the one run ${m.runId} ${baked ? `has for scenario ${m.scenario} (${baked})` : `has: the run has no scenario ${m.scenario}`}: refused`,
    );
  }
}

/** The run of the request: a pipeline request must name an open run; a redeploy by message may open its own. */
async function requestedRun(m: DeployRequested, deps: DeployRequestedDeps, log: Logger) {
  const { store } = deps;
  if (m.requestedBy === 'redeploy' && !(await store.getRun(m.runId))) {
    checkImage(m, deps.config.TARGET_IMAGE_REPOSITORY, undefined);
    // The documented `gcloud pubsub topics publish deploy-requested` path: the run is opened here, as redeploy does.
    await store.createRun({ runId: m.runId, scenarios: { [m.scenario]: { status: 'pending', image: m.image } } });
    log.info('run opened for a redeploy message', { image: m.image });
  }
  const run = await runningRun(store, m.runId, `DeployRequested (${m.scenario})`, log);
  if (run) checkImage(m, deps.config.TARGET_IMAGE_REPOSITORY, run);
  return run;
}

/**
 * `deploy-requested` → the scenario running on the cluster → `load-test-requested`, or `pipeline-failed` after a
 * rollback. One rollout per run, scenario and attempt, however often the message is delivered; a rollout that
 * outlives one invocation continues in a follow-up DeployRequested instead of blocking the function.
 */
export async function handleDeployRequested(m: DeployRequested, deps: DeployRequestedDeps): Promise<void> {
  const { store, config, deadlines } = deps;
  const log = deps.log.child({ runId: m.runId, scenario: m.scenario });
  if (!(await requestedRun(m, deps, log))) return;
  const attempt = m.rollout?.attempt ?? 1;
  const namespace = config.K8S_NAMESPACE;
  const lock = rolloutLock(namespace);
  // The lock stays until reportResults ends the scenario: a rollback is still rolling out meanwhile.
  const fail = (reason: string) =>
    reportFailure({ runId: m.runId, stage: 'deploy', scenario: m.scenario, reason }, deps);

  let scenario: Scenario;
  try {
    scenario = await (deps.scenario ?? loadScenario)(m.scenario);
  } catch (err) {
    if (!(err instanceof UnknownScenarioError || err instanceof ModelshipError)) throw err;
    log.error('scenario cannot be deployed', { error: errorMessage(err) });
    await fail(errorMessage(err));
    return;
  }

  // Each attempt waits at most the budget, then applies or rolls back: it ends well within the function's timeout.
  const attemptS = config.DEPLOY_BUDGET_S + 60;
  const rolloutS = (config.DEPLOY_MAX_FOLLOW_UPS + 1) * attemptS;
  const profile = m.profile ?? loadProfile(config);
  // An attempt's claim lasts as long as the attempt can (its Kubernetes calls are bounded too), so that a
  // redelivery takes over from a crashed deployer in about a minute more than the budget, not the function's 540 s.
  const claim = { staleMs: Math.min(FUNCTIONS.deployScenario.timeoutS, attemptS) * 1000 };
  const outcome = await runOnce(store, `deploy/${m.runId}/${m.scenario}/${attempt}`, claim, async () => {
    // The lock covers the rollout and the load test after it, so that no other rollout changes what is measured.
    const holdS = rolloutS + FUNCTIONS.launchLoadTest.timeoutS + loadTestSeconds(profile) + JOB_MARGIN_S;
    const holder = { runId: m.runId, scenario: m.scenario, expiresAt: deadlines.after(holdS, 'deploy', '').at };
    const taken = await store.acquireLock(lock, holder);
    if (!taken.acquired) {
      const busy = taken.holder;
      const waitS = (Date.parse(busy.expiresAt) - deps.clock.now()) / 1000;
      const what = `run ${busy.runId} (${busy.scenario}) to release namespace ${namespace}, then this rollout`;
      await store.expect(m.runId, deadlines.after(Math.max(0, waitS) + rolloutS, 'deploy', what, m.scenario));
      throw new RolloutBusyError(
        `namespace ${namespace} is being rolled out and measured by run ${busy.runId} (${busy.scenario}) until at most ${busy.expiresAt}: this rollout waits, one at a time`,
      );
    }
    if (attempt === 1) {
      await store.setScenarios(m.runId, { [m.scenario]: { status: 'running', lock } });
      await store.startStage(
        m.runId,
        'deploy',
        { scenario: m.scenario, image: m.image },
        deadlines.after(rolloutS, 'deploy', `the rollout of ${m.scenario}`, m.scenario),
      );
    }
    const last = await store.lastGoodDeployment(namespace);
    const lastGood = last && {
      scenario: last.scenario,
      image: last.image,
      manifests: JSON.parse(last.manifestsJson) as Manifest[],
    };
    const final = attempt > config.DEPLOY_MAX_FOLLOW_UPS;
    const result = await deployScenario(
      { scenario, image: m.image, runId: m.runId, ...(m.rollout ? { startedAt: m.rollout.startedAt } : {}) },
      {
        kube: await deps.kube(),
        clock: deps.clock,
        log,
        ...(lastGood ? { lastGood } : {}),
        options: {
          namespace,
          budgetMs: config.DEPLOY_BUDGET_S * 1000,
          nodeSelector: config.DEPLOY_NODE_SELECTOR,
          ...(config.DEPLOY_REPLICAS ? { replicas: Number(config.DEPLOY_REPLICAS) } : {}),
        },
      },
    );
    switch (result.outcome) {
      case 'succeeded': {
        const endpoint = result.endpoint ?? '';
        await store.recordGoodDeployment(namespace, {
          scenario: m.scenario,
          image: m.image,
          runId: m.runId,
          manifestsJson: JSON.stringify(result.manifests),
          at: new Date(deps.clock.now()).toISOString(),
        });
        // The one target a load test of this run and scenario may have (launchLoadTest checks it).
        await store.setScenarios(m.runId, { [m.scenario]: { endpoint } });
        await store.finishStage(m.runId, 'deploy', {
          status: 'succeeded',
          details: { scenario: m.scenario, image: m.image, endpoint },
          deadline: deadlines.after(
            FUNCTIONS.launchLoadTest.timeoutS,
            'load-test',
            `launchLoadTest to start the load test of ${m.scenario}`,
            m.scenario,
          ),
        });
        await deps.publish({
          type: 'LoadTestRequested',
          version: 1,
          runId: m.runId,
          scenario: m.scenario,
          image: m.image,
          target: endpoint,
          modelName: scenario.tfserving.modelName,
          profile,
        });
        break;
      }
      case 'in-progress':
        if (!final) {
          await deps.publish({ ...m, rollout: { startedAt: result.startedAt, attempt: attempt + 1 } });
          break;
        }
        if (lastGood) await (await deps.kube()).apply(lastGood.manifests);
        await fail(
          `rollout did not finish after ${attempt} attempts: ${result.reason ?? 'still progressing'}${lastGood ? `; rolled back to ${lastGood.scenario}` : ''}`,
        );
        break;
      default:
        await fail(result.reason ?? result.outcome);
    }
    return { outcome: result.outcome };
  });
  if (outcome.duplicate) log.info('duplicate deploy request ignored', { attempt });
}

function loadProfile(config: DeployRequestedDeps['config']): LoadProfile {
  return {
    users: config.LOAD_TEST_USERS,
    spawnRate: config.LOAD_TEST_SPAWN_RATE,
    thinkTimeMs: config.LOAD_TEST_THINK_TIME_MS,
    durationS: config.LOAD_TEST_DURATION_S,
    thresholds: config.LOAD_TEST_THRESHOLDS,
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
