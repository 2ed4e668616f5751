import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigFor } from '../../../shared/deploy/kube-config.js';
import { createApiServer, type RecordedRequest } from './api-server.js';
import { MASTERS, type Users } from './authentication.js';
import { DeploymentController } from './deployment-controller.js';
import { LoadBalancers } from './load-balancer.js';
import { ObjectStore } from './object-store.js';
import type { PodLauncher } from './pod-launcher.js';
import { servingCert } from './serving-cert.js';

/**
 * A Kubernetes API emulator for the local stack and the tests: the API server (api-server.ts), a Deployment
 * controller that runs pods through a launcher (deployment-controller.ts, emulated-pod.ts) and loopback load
 * balancers (load-balancer.ts). Clients reach it through an ordinary KubeConfig, so the deployer's code is the
 * same here and on GKE. Requests are authenticated and authorized by RBAC; `kubeConfig()` signs in as an
 * administrator (system:masters), `kubeConfig(namespace, user)` as one of the `users` it was given. `stop()` stops every container it started and waits for each to exit.
 */

export interface KubernetesEmulatorOptions {
  launcher: PodLauncher;
  /** Pod logs and projected volumes go under here. */
  workDir: string;
  /** Multiplies every Kubernetes duration (probe periods, deadlines, grace periods, back-off): 0.01 runs 100× faster. */
  timeScale?: number;
  /** How often the controller looks at the time-driven parts (minReadySeconds, progress deadlines). */
  tickMs?: number;
  port?: number;
  /** Bearer token → user, besides the administrator; what they may do is up to the RBAC objects applied. */
  users?: Users;
  onRequest?: (request: RecordedRequest) => void;
}

export interface KubernetesEmulator {
  /** `https://127.0.0.1:PORT` (its certificate is in `kubeConfig()`). */
  readonly url: string;
  readonly store: ObjectStore;
  readonly controller: DeploymentController;
  /** Signed in as the administrator, or as the user of this name among `users`. */
  kubeConfig(namespace?: string, user?: string): KubeConfig;
  /** The PIDs of the containers running now. */
  pids(): number[];
  stop(): Promise<void>;
}

export * from './api-server.js';
export * from './authentication.js';
export * from './deployment-controller.js';
export * from './emulated-pod.js';
export * from './object-store.js';
export * from './podman-launcher.js';
export * from './pod-launcher.js';
export * from './tfs-sim-launcher.js';

/** The administrator's user name, as kubeadm names its own. */
const ADMIN = 'kubernetes-admin';

export async function startKubernetesEmulator(options: KubernetesEmulatorOptions): Promise<KubernetesEmulator> {
  const store = new ObjectStore();
  let scheduled = false;
  let stopped = false;
  let stopping: Promise<void> | undefined;
  const controller: DeploymentController = new DeploymentController({
    store,
    launcher: options.launcher,
    workDir: options.workDir,
    timeScale: options.timeScale ?? 1,
    changed: () => schedule(),
  });
  const balancers = new LoadBalancers(store, (namespace, selector) => controller.readyPods(namespace, selector));
  function schedule(): void {
    if (scheduled || stopped) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (stopped) return;
      controller.reconcile();
      void balancers.sync();
    });
  }
  const unsubscribe = store.onChange((o) => o.kind !== 'Pod' && schedule());
  const tick = setInterval(schedule, options.tickMs ?? 100);

  const adminToken = randomBytes(32).toString('base64url');
  const users: Users = { ...options.users, [adminToken]: { name: ADMIN, groups: [MASTERS] } };
  const tokenOf = (user: string | undefined): string => {
    if (user === undefined) return adminToken;
    const found = Object.entries(options.users ?? {}).find(([, u]) => u.name === user);
    if (!found) throw new Error(`the Kubernetes emulator has no user ${user}`);
    return found[0];
  };
  const tls = await servingCert(options.workDir);
  const server: Server = createApiServer({
    store,
    users,
    tls,
    terminatePod: (namespace, name) => controller.deletePod(namespace, name),
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;

  return {
    url,
    store,
    controller,
    kubeConfig: (namespace, user) =>
      kubeConfigFor({
        name: 'modelship-emulator',
        server: url,
        caData: Buffer.from(tls.cert).toString('base64'),
        token: tokenOf(user),
        ...(namespace ? { namespace } : {}),
      }),
    pids: () => [...controller.pods.values()].map((p) => p.pid).filter((p): p is number => p !== undefined),
    stop() {
      stopping ??= (async () => {
        stopped = true;
        clearInterval(tick);
        unsubscribe();
        await controller.stop();
        await balancers.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return stopping;
    },
  };
}
