import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { rbacManifests } from '../operator/gcp/plan-cluster.js';
import { createKubeClient } from '../shared/deploy/index.js';
import {
  podmanLauncher,
  startKubernetesEmulator,
  tfsSimLauncher,
  type KubernetesEmulator,
} from './emulators/kubernetes/index.js';
import { localGcpConfig, localNames } from './local-gcp-config.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';

/** What the local stack needs to deploy: the Kubernetes emulator, its pods containers of their images or processes. */
export interface LocalDeploy {
  kubernetes: KubernetesEmulator;
  /** Between the deployer and the API: fault injection (a hung or refusing control plane). */
  network: FaultProxy;
  /** The functions' environment that points deployScenario at it. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The cluster of the local stack. The deployer reaches it through a kubeconfig file (KUBECONFIG), exactly as it
 * would reach kind or minikube. In container mode each pod is a container of its image, pulled from the local
 * registry; otherwise a TF Serving simulator process serving the image's model from the local image store. Kubernetes
 * time (probe periods, progress deadlines) runs `timeScale` times as long, so a local rollout takes seconds.
 * The deployer signs in as its service account's email, as on GKE, and may do only what the plan's Role and
 * RoleBinding allow, applied here as `modelship gcp plan` applies them: a missing right fails locally too.
 */
/** The simulator's model load time: a real ResNet loads in seconds, the local rollout should not wait for that. */
const LOAD_TIME = ['--load_time_ms=200'];

export async function startLocalDeploy(o: {
  /** The project the stack stands for: it names the deployer and its Role's namespace. */
  project: string;
  dir: string;
  imageStore: string;
  port: number;
  timeScale?: number;
  containers?: boolean;
}): Promise<LocalDeploy> {
  const workDir = join(o.dir, 'kubernetes');
  mkdirSync(workDir, { recursive: true });
  const config = localGcpConfig(o.project);
  const names = localNames(o.project);
  const deployer = names.email('deployer');
  const kubernetes = await startKubernetesEmulator({
    users: { [randomBytes(32).toString('base64url')]: { name: deployer } },
    launcher: o.containers
      ? podmanLauncher({ extraArgs: LOAD_TIME })
      : tfsSimLauncher({ imageStore: o.imageStore, extraArgs: LOAD_TIME }),
    workDir,
    port: o.port,
    timeScale: o.timeScale ?? 0.1,
  });
  const { namespace } = config.cluster;
  try {
    await createKubeClient(kubernetes.kubeConfig()).apply(rbacManifests(config, names) as KubernetesObject[]);
  } catch (err) {
    await kubernetes.stop();
    throw err;
  }
  // The deployer reaches the API through a proxy that passes everything, until a test makes it hang or refuse.
  const network = await startFaultProxy({
    upstreamHost: '127.0.0.1',
    upstreamPort: Number(new URL(kubernetes.url).port),
  });
  const kubeconfig = join(workDir, 'kubeconfig');
  const proxied = kubernetes
    .kubeConfig(namespace, deployer)
    .exportConfig()
    .replaceAll(kubernetes.url, `https://127.0.0.1:${network.port}`);
  writeFileSync(kubeconfig, proxied);
  return {
    kubernetes,
    network,
    env: {
      KUBECONFIG: kubeconfig,
      K8S_NAMESPACE: namespace,
      DEPLOY_NODE_SELECTOR: 'false',
      DEPLOY_BUDGET_S: '60',
    },
    stop: async () => {
      await network.stop();
      await kubernetes.stop();
    },
  };
}
