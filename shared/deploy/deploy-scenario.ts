import type { V1Service } from '@kubernetes/client-node';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { KubeClient } from './kube-client.js';
import { objectNames, roleSelector, selectorText, type ObjectNames, type Role } from './object-names.js';
import { renderScenario, type Manifest, type RenderOptions } from './render.js';
import { deploymentRollout, stuckPod, whyNoProgress, type RolloutState } from './rollout.js';
import type { Scenario } from './scenario.js';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** What was deployed last and worked: re-applied when a rollout fails. */
export interface LastGoodDeployment {
  scenario: string;
  image: string;
  manifests: Manifest[];
}

export interface DeployInput {
  scenario: Scenario;
  /** REGISTRY/PATH@sha256:DIGEST */
  image: string;
  runId: string;
  /**
   * Default 'serving'. A candidate or baseline is deployed beside the serving deployment under names of its own
   * and never rolled back: the serving deployment is neither read nor written.
   */
  role?: Role;
  /** When the rollout began, for a follow-up invocation that continues it (ISO time). */
  startedAt?: string;
  /**
   * The last attempt: a rollout still progressing when its budget runs out has failed, and is handled as any failed
   * rollout (rolled back for the serving role), here and nowhere else.
   */
  final?: boolean;
}

export interface DeployOptions extends Omit<RenderOptions, 'runId'> {
  /** How long this invocation may wait for the rollout; keep it well inside the function timeout. */
  budgetMs?: number;
  pollMs?: number;
}

export interface DeployDeps {
  kube: KubeClient;
  clock: Clock;
  log: Logger;
  lastGood?: LastGoodDeployment;
  options?: DeployOptions;
}

export type DeployOutcome = 'succeeded' | 'rolled-back' | 'failed' | 'in-progress';

export interface DeployResult {
  outcome: DeployOutcome;
  reason?: string;
  /** `host:port` of the Service's gRPC port, once the load balancer has an address. */
  endpoint?: string;
  /** What was applied: on success, the new last good deployment. */
  manifests: Manifest[];
  rollout: RolloutState;
  /** When this rollout began (ISO): what a follow-up passes back as `startedAt`. */
  startedAt: string;
}

const DEFAULT_BUDGET_MS = 240_000;

/** The gRPC address a LoadBalancer Service offers, once it has one. */
export function serviceEndpoint(service: V1Service | undefined, portName = 'grpc'): string | undefined {
  const ingress = service?.status?.loadBalancer?.ingress?.[0];
  const host = ingress?.ip ?? ingress?.hostname;
  const ports = service?.spec?.ports ?? [];
  const index = ports.findIndex((p) => p.name === portName);
  if (!host || index < 0) return undefined;
  // The ingress lists its own port per service port when it has one (the local emulator's loopback ports).
  const port = ingress?.ports?.length === ports.length ? ingress.ports[index]?.port : ports[index]?.port;
  return port === undefined ? undefined : `${host}:${port}`;
}

/** Reads until `settled` or until one more poll would pass the deadline; returns the last value read. */
async function pollUntil<T>(
  clock: Clock,
  deadline: number,
  pollMs: number,
  read: () => Promise<T>,
  settled: (v: T) => boolean,
) {
  let value = await read();
  while (!settled(value) && clock.now() + pollMs <= deadline) {
    await clock.sleep(pollMs);
    value = await read();
  }
  return value;
}

/**
 * The rollout of this run's image: `kubectl rollout status` judges whatever the Deployment holds now, so a Deployment
 * whose template another rollout replaced meanwhile is this rollout's failure, not its success.
 */
async function rolloutState(
  kube: KubeClient,
  namespace: string,
  names: ObjectNames,
  since: Date,
  image: string,
): Promise<RolloutState> {
  const deployment = await kube.readDeployment(namespace, names.deployment);
  if (!deployment) return { phase: 'progressing', message: `deployment "${names.deployment}" is not there yet` };
  const running = deployment.spec?.template.spec?.containers.find((c) => c.name === names.container)?.image;
  if (running !== image) {
    return {
      phase: 'failed',
      reason: 'Superseded',
      message: `deployment "${names.deployment}" now holds image ${running ?? '(none)'}, not this run's ${image}: another rollout replaced it`,
    };
  }
  const state = deploymentRollout(deployment);
  if (state.phase === 'done') return state;
  const pods = await kube.listPods(namespace, selectorText(roleSelector(names)));
  if (state.phase === 'progressing') return stuckPod(pods, since) ?? state;
  const why = whyNoProgress(pods, since);
  return why ? { ...state, message: `${state.message} (${why})` } : state;
}

/**
 * Deploys a scenario: renders it, applies every object by server-side apply, and waits for the rollout by the
 * kubectl rule, for at most `budgetMs`.
 *
 * Contract for the caller (the `deployScenario` Cloud Function):
 * - 'succeeded': the rollout finished and the Service has an address. For the serving role, record `manifests`
 *   (with scenario and image) as the last good deployment; then publish LoadTestRequested with `endpoint`.
 * - 'rolled-back': the rollout failed (ProgressDeadlineExceeded, a crash-looping or unstartable container); the
 *   last good manifests were re-applied. Record `reason`, publish PipelineFailed, launch no load test.
 * - 'failed': as above with nothing to roll back to; always so for a candidate or a baseline, which is never rolled
 *   back (`lastGood` is the serving deployment's and is not used).
 * - 'in-progress': the budget ran out while the rollout (or the load balancer) was still progressing. Publish a
 *   follow-up DeployRequested with the same run id and `rollout.startedAt` = `result.startedAt` (the time of the
 *   first apply: pods created since then are this rollout's); calling this again with the same input re-applies
 *   identical objects (no new rollout) and resumes waiting.
 * Applying is idempotent: a duplicate message with the same scenario and image changes nothing in the cluster.
 * Errors: TransientError (API unreachable, 5xx) is worth a retry; ModelshipError (a 4xx, a bad image) is not.
 */
export async function deployScenario(input: DeployInput, deps: DeployDeps): Promise<DeployResult> {
  const { kube, clock, options = {} } = deps;
  const role = input.role ?? 'serving';
  const log = deps.log.child({ runId: input.runId, scenario: input.scenario.name });
  const namespace = options.namespace ?? 'default';
  const deadline = clock.now() + (options.budgetMs ?? DEFAULT_BUDGET_MS);
  const pollMs = options.pollMs ?? 2000;
  const since = new Date(input.startedAt ?? clock.now());
  const startedAt = since.toISOString();
  const names = objectNames(role, input.scenario.name);
  const manifests = renderScenario(input.scenario, input.image, { ...options, runId: input.runId, role });

  log.info('applying scenario', {
    role,
    image: input.image,
    objects: manifests.map((m) => `${m.kind}/${m.metadata?.name}`),
  });
  await kube.apply(manifests);

  const polled = await pollUntil(
    clock,
    deadline,
    pollMs,
    () => rolloutState(kube, namespace, names, since, input.image),
    (s) => s.phase !== 'progressing',
  );
  const state: RolloutState =
    polled.phase === 'progressing' && input.final
      ? {
          phase: 'failed',
          reason: 'OutOfAttempts',
          message: `rollout did not finish in its last attempt: ${polled.message}`,
        }
      : polled;

  const result = (outcome: DeployOutcome, more: { reason: string } | { endpoint: string }): DeployResult => ({
    outcome,
    ...more,
    manifests,
    rollout: state,
    startedAt,
  });

  if (state.phase === 'progressing') {
    log.notice('rollout continues in a follow-up message', { rollout: state.message });
    return result('in-progress', { reason: state.message });
  }

  if (state.phase === 'failed' && state.reason === 'Superseded') {
    // The Deployment is another rollout's now: rolling back would undo that one, not this one.
    log.error('rollout superseded', { reason: state.message });
    return result('failed', { reason: state.message });
  }
  if (state.phase === 'failed' && role !== 'serving') {
    // A candidate is measured, not served: its failure is the verdict, and the serving deployment stays as it is.
    log.error(`${role} rollout failed`, { reason: state.message });
    return result('failed', { reason: state.message });
  }
  if (state.phase === 'failed') {
    // Nothing to roll back to: no deployment ever worked, or the one that failed now is that same deployment.
    const same = deps.lastGood?.scenario === input.scenario.name && deps.lastGood.image === input.image;
    if (!deps.lastGood || same) {
      const why = same ? 'it is the last good deployment itself' : 'no deployment has worked here yet';
      log.error('rollout failed; nothing to roll back to', { reason: state.message, why });
      return result('failed', { reason: `${state.message}; nothing to roll back to: ${why}` });
    }
    const { scenario, image } = deps.lastGood;
    log.warn('rollout failed; re-applying the last good deployment', { reason: state.message, scenario, image });
    try {
      await kube.apply(deps.lastGood.manifests);
    } catch (err) {
      const reason = `${state.message}; rolling back to ${scenario} (${image}) failed too: ${errorMessage(err)}`;
      return result('failed', { reason });
    }
    const reason = `${state.message}; rolled back to scenario ${scenario} with image ${image}`;
    return result('rolled-back', { reason });
  }

  const endpoint = await pollUntil(
    clock,
    deadline,
    pollMs,
    async () => serviceEndpoint(await kube.readService(namespace, names.service)),
    (e) => e !== undefined,
  );
  if (!endpoint) {
    const reason = `service "${names.service}" has no load balancer address yet`;
    if (input.final) return result('failed', { reason: `${reason}, after its last attempt` });
    log.notice('waiting for the load balancer continues in a follow-up message', { reason });
    return result('in-progress', { reason });
  }
  log.info('scenario deployed', { endpoint });
  return result('succeeded', { endpoint });
}
