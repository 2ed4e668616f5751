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
import { errorMessage, ModelshipError } from './errors.js';
import type { Publish } from './gcp/publisher.js';
import { runOnce } from './idempotency.js';
import type { Logger } from './log.js';
import type { DeployRequested, LoadProfile } from './messages.js';
import type { Store } from './store.js';

export const DEPLOY_SETTINGS = [
  'K8S_NAMESPACE',
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
}

/**
 * `deploy-requested` → the scenario running on the cluster → `load-test-requested`, or `pipeline-failed` after a
 * rollback. One rollout per run, scenario and attempt, however often the message is delivered; a rollout that
 * outlives one invocation continues in a follow-up DeployRequested instead of blocking the function.
 */
export async function handleDeployRequested(m: DeployRequested, deps: DeployRequestedDeps): Promise<void> {
  const { store, config } = deps;
  const log = deps.log.child({ runId: m.runId, scenario: m.scenario });
  const attempt = m.rollout?.attempt ?? 1;
  const fail = async (reason: string) => {
    await store.finishStage(m.runId, 'deploy', { status: 'failed', reason });
    await store.finishRun(m.runId, { status: 'failed', stage: 'deploy', reason });
    await deps.publish({
      type: 'PipelineFailed',
      version: 1,
      runId: m.runId,
      stage: 'deploy',
      scenario: m.scenario,
      reason,
    });
  };

  let scenario: Scenario;
  try {
    scenario = await (deps.scenario ?? loadScenario)(m.scenario);
  } catch (err) {
    if (!(err instanceof UnknownScenarioError || err instanceof ModelshipError)) throw err;
    log.error('scenario cannot be deployed', { error: errorMessage(err) });
    await fail(errorMessage(err));
    return;
  }

  // An attempt runs up to the budget plus applying; one older than the function's 540 s timeout has died.
  const outcome = await runOnce(store, `deploy/${m.runId}/${m.scenario}/${attempt}`, { staleMs: 600_000 }, async () => {
    if (attempt === 1) await store.startStage(m.runId, 'deploy', { scenario: m.scenario, image: m.image });
    const namespace = config.K8S_NAMESPACE;
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
        await store.finishStage(m.runId, 'deploy', {
          status: 'succeeded',
          details: { scenario: m.scenario, image: m.image, endpoint },
        });
        await deps.publish({
          type: 'LoadTestRequested',
          version: 1,
          runId: m.runId,
          scenario: m.scenario,
          image: m.image,
          target: endpoint,
          modelName: scenario.tfserving.modelName,
          profile: m.profile ?? loadProfile(config),
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
