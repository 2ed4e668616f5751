import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  podmanLauncher,
  startKubernetesEmulator,
  tfsSimLauncher,
  type KubernetesEmulator,
} from './emulators/kubernetes/index.js';

/** What the local stack needs to deploy: the Kubernetes emulator, its pods containers of their images or processes. */
export interface LocalDeploy {
  kubernetes: KubernetesEmulator;
  /** The functions' environment that points deployScenario at it. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The cluster of the local stack. The deployer reaches it through a kubeconfig file (KUBECONFIG), exactly as it
 * would reach kind or minikube. In container mode each pod is a container of its image, pulled from the local
 * registry; otherwise a TF Serving simulator process serving the image's model from the local image store. Kubernetes
 * time (probe periods, progress deadlines) runs `timeScale` times as long, so a local rollout takes seconds.
 */
/** The simulator's model load time: a real ResNet loads in seconds, the local rollout should not wait for that. */
const LOAD_TIME = ['--load_time_ms=200'];

export async function startLocalDeploy(o: {
  dir: string;
  imageStore: string;
  port: number;
  timeScale?: number;
  containers?: boolean;
}): Promise<LocalDeploy> {
  const workDir = join(o.dir, 'kubernetes');
  mkdirSync(workDir, { recursive: true });
  const kubernetes = await startKubernetesEmulator({
    launcher: o.containers
      ? podmanLauncher({ extraArgs: LOAD_TIME })
      : tfsSimLauncher({ imageStore: o.imageStore, extraArgs: LOAD_TIME }),
    workDir,
    port: o.port,
    timeScale: o.timeScale ?? 0.1,
  });
  const kubeconfig = join(workDir, 'kubeconfig');
  writeFileSync(kubeconfig, kubernetes.kubeConfig().exportConfig());
  return {
    kubernetes,
    env: { KUBECONFIG: kubeconfig, DEPLOY_NODE_SELECTOR: 'false', DEPLOY_BUDGET_S: '60' },
    stop: () => kubernetes.stop(),
  };
}
