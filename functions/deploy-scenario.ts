import type { CloudEventFunction } from '@google-cloud/functions-framework';
import { KubeConfig } from '@kubernetes/client-node';
import { loadConfig } from '../shared/config.js';
import {
  clusterAccess,
  createKubeClient,
  gkeKubeConfig,
  systemClock,
  type KubeClient,
} from '../shared/deploy/index.js';
import { DEPLOY_SETTINGS, handleDeployRequested, type DeployRequestedDeps } from '../shared/deploy-requested.js';
import { ConfigError } from '../shared/errors.js';
import { DeployOrPromote } from '../shared/messages.js';
import { handlePromoteRequested } from '../shared/promote-requested.js';
import { baseDeps, firestoreStore, once, pubsubPublisher, started } from './deps.js';
import { eventFunction } from './event-function.js';

/**
 * The cluster client: from KUBECONFIG when it is set (kind, minikube, the local stack), otherwise from GKE_CLUSTER
 * through the Container API and a fresh access token, built per invocation since the token is short-lived. The
 * Container client is loaded on that path only.
 */
export function kubeFromConfig(env: NodeJS.ProcessEnv = process.env): () => Promise<KubeClient> {
  const { GKE_CLUSTER, KUBECONFIG, K8S_NAMESPACE } = loadConfig(['GKE_CLUSTER', 'KUBECONFIG', 'K8S_NAMESPACE'], env);
  if (KUBECONFIG) {
    return async () => {
      const kc = new KubeConfig();
      kc.loadFromFile(KUBECONFIG);
      return createKubeClient(kc);
    };
  }
  if (!GKE_CLUSTER) throw new ConfigError(['GKE_CLUSTER is not set: the cluster to deploy to (or set KUBECONFIG)']);
  const access = once(async () => {
    const { ClusterManagerClient } = await import('@google-cloud/container');
    return clusterAccess(new ClusterManagerClient());
  });
  return async () => createKubeClient(await gkeKubeConfig(await access(), GKE_CLUSTER, K8S_NAMESPACE));
}

export async function deployScenarioDeps(env: NodeJS.ProcessEnv = process.env): Promise<DeployRequestedDeps> {
  const { project, log, deadlines } = baseDeps('deployScenario', env);
  const config = loadConfig(DEPLOY_SETTINGS, env);
  const kube = kubeFromConfig(env);
  return {
    config,
    store: await firestoreStore(project),
    log,
    publish: pubsubPublisher(project),
    clock: systemClock,
    kube,
    deadlines,
  };
}

/**
 * On `deploy-requested`: a candidate rolled out beside the serving deployment, then `load-test-requested` or
 * `pipeline-failed`. On `promote-requested`: the candidates torn down and the chosen one serving.
 */
export const createDeployScenario = (deps: () => DeployRequestedDeps) =>
  eventFunction('deployScenario', DeployOrPromote, deps, (m, d) =>
    m.type === 'DeployRequested' ? handleDeployRequested(m, d) : handlePromoteRequested(m, d),
  );

/** The deployed function: its deps built from the environment (functions/index.ts). */
export const start = (): Promise<CloudEventFunction<unknown>> => started(deployScenarioDeps(), createDeployScenario);
