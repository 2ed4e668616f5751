import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKubernetesEmulator, tfsSimLauncher, type KubernetesEmulator } from './emulators/kubernetes/index.js';

/** What the local stack needs to deploy: the Kubernetes emulator running pods as TF Serving simulators. */
export interface LocalDeploy {
  kubernetes: KubernetesEmulator;
  /** The functions' environment that points deployScenario at it. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The cluster of the local stack. The deployer reaches it through a kubeconfig file (KUBECONFIG), exactly as it
 * would reach kind or minikube; pods run the image's model from the local image store. Kubernetes time (probe
 * periods, progress deadlines) runs `timeScale` times as long, so a local rollout takes seconds.
 */
export async function startLocalDeploy(o: {
  dir: string;
  imageStore: string;
  port: number;
  timeScale?: number;
}): Promise<LocalDeploy> {
  const workDir = join(o.dir, 'kubernetes');
  mkdirSync(workDir, { recursive: true });
  const kubernetes = await startKubernetesEmulator({
    launcher: tfsSimLauncher({ imageStore: o.imageStore, extraArgs: ['--load_time_ms=200'] }),
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
