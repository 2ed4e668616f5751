import { createHash, randomBytes } from 'node:crypto';
import { EmulatedPod, type PodContext } from './emulated-pod.js';
import type { PodTemplate } from './pod-template.js';
import { deploymentStatus, type RolloutTracker } from './deployment-status.js';
import { matchesSelector, refOf, type KubeObject } from './object-store.js';

/**
 * The Deployment controller and the ReplicaSets it would make, folded together: pods carry the hash of the
 * template they were made from (`pod-template-hash`), a template change starts a rolling update bounded by
 * maxSurge and maxUnavailable (or a Recreate), as the real controller scales its ReplicaSets, and the status
 * follows from the pods (deployment-status.ts). The pods of a Deployment that is gone terminate gracefully, as the
 * garbage collector deletes them after a Background deletion.
 */

interface DeploymentSpec {
  replicas?: number;
  minReadySeconds?: number;
  progressDeadlineSeconds?: number;
  strategy?: { type?: string; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
  template: PodTemplate;
}

/** Key order does not change a template's identity. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const templateHash = (template: unknown): string =>
  createHash('sha256').update(canonical(template)).digest('hex').slice(0, 10);

/** An int-or-percent of `total`: maxSurge rounds up, maxUnavailable down, as Kubernetes does. */
function scaledValue(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const percent = Number(/^(\d+)%$/.exec(value ?? '25%')?.[1] ?? 25);
  return roundUp ? Math.ceil((percent * total) / 100) : Math.floor((percent * total) / 100);
}

/** By uid too: a Deployment deleted and made again under its name does not adopt the pods on their way out. */
const ownerOf = (d: KubeObject): string =>
  `${d.metadata.namespace ?? 'default'}/${d.metadata.name}/${d.metadata.uid ?? ''}`;

interface RolloutState {
  hash: string;
  desired: number;
  unavailable: number;
  active: EmulatedPod[];
  fresh: EmulatedPod[];
  old: EmulatedPod[];
  available: (p: EmulatedPod) => boolean;
}

export class DeploymentController {
  readonly pods = new Map<string, EmulatedPod>();
  private readonly trackers = new Map<string, RolloutTracker>();

  constructor(private readonly ctx: PodContext) {}

  reconcile(now = Date.now()): void {
    const deployments = this.ctx.store.list('apps/v1', 'Deployment');
    for (const deployment of deployments) this.reconcileOne(deployment, now);
    const owners = new Set(deployments.map(ownerOf));
    const orphans = [...this.pods.values()].filter((p) => !owners.has(p.owner) && !p.terminating);
    this.remove(orphans, orphans.length);
    for (const owner of this.trackers.keys()) if (!owners.has(owner)) this.trackers.delete(owner);
  }

  /** A pod deleted through the API: it terminates gracefully, and its Deployment makes another. */
  deletePod(namespace: string, name: string): KubeObject | undefined {
    const pod = this.pods.get(`${namespace}/${name}`);
    if (!pod) return undefined;
    if (!pod.terminating) {
      this.remove([pod], 1);
      this.ctx.changed();
    }
    return this.ctx.store.get({ apiVersion: 'v1', kind: 'Pod', namespace, name });
  }

  /** Ready pods whose labels match a Service's selector. */
  readyPods(namespace: string, selector: Record<string, string>): EmulatedPod[] {
    const terms = Object.entries(selector)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    return [...this.pods.values()].filter(
      (p) => p.namespace === namespace && p.ready && !p.terminating && terms !== '' && matchesSelector(p.labels, terms),
    );
  }

  /** Stops every pod's container at once (no preStop, no grace), and waits until each has exited. */
  async stop(): Promise<void> {
    await Promise.all([...this.pods.values()].map((p) => p.terminate(false)));
    this.pods.clear();
  }

  private create(owner: string, namespace: string, name: string, hash: string, template: PodTemplate): void {
    const podName = `${name}-${hash}-${randomBytes(3).toString('hex').slice(0, 5)}`;
    const pod = new EmulatedPod(this.ctx, namespace, podName, owner, hash, structuredClone(template));
    this.pods.set(`${namespace}/${podName}`, pod);
    pod.start();
  }

  private remove(pods: EmulatedPod[], count: number): void {
    // Unready pods go first, as the ReplicaSet controller picks them.
    const victims = [...pods].sort((a, b) => Number(a.ready) - Number(b.ready)).slice(0, Math.max(0, count));
    for (const pod of victims) {
      void pod.terminate().then(() => this.pods.delete(`${pod.namespace}/${pod.name}`));
    }
  }

  private reconcileOne(deployment: KubeObject, now: number): void {
    const spec = deployment.spec as DeploymentSpec;
    const { name } = deployment.metadata;
    const namespace = deployment.metadata.namespace ?? 'default';
    const owner = ownerOf(deployment);
    const desired = spec.replicas ?? 1;
    const hash = templateHash(spec.template);
    const minReadyMs = (spec.minReadySeconds ?? 0) * 1000 * this.ctx.timeScale;
    const mine = () => [...this.pods.values()].filter((p) => p.owner === owner && !p.terminating);
    const available = (p: EmulatedPod) => p.isAvailable(minReadyMs, now);
    const split = () => {
      const active = mine();
      return { active, fresh: active.filter((p) => p.hash === hash), old: active.filter((p) => p.hash !== hash) };
    };

    let { active, fresh, old } = split();
    // Recreate has no availability floor during its rollout.
    let unavailable = desired;
    if (spec.strategy?.type === 'Recreate') {
      if (old.length > 0) this.remove(old, old.length);
      else for (let i = fresh.length; i < desired; i++) this.create(owner, namespace, name, hash, spec.template);
    } else {
      const rolling = spec.strategy?.rollingUpdate ?? {};
      const surge = scaledValue(rolling.maxSurge, desired, true);
      unavailable = Math.max(scaledValue(rolling.maxUnavailable, desired, false), surge === 0 ? 1 : 0);
      const room = Math.min(desired - fresh.length, desired + surge - active.length);
      for (let i = 0; i < room; i++) this.create(owner, namespace, name, hash, spec.template);
      if (fresh.length > desired) this.remove(fresh, fresh.length - desired);
      ({ active, fresh, old } = split());
      const minAvailable = desired - unavailable;
      const maxScaledDown = active.length - minAvailable - fresh.filter((p) => !available(p)).length;
      if (old.length > 0 && maxScaledDown > 0) {
        const unhealthy = old.filter((p) => !available(p)).slice(0, maxScaledDown);
        this.remove(unhealthy, unhealthy.length);
        const availableNow = active.filter(available).length;
        this.remove(old.filter(available), Math.min(maxScaledDown - unhealthy.length, availableNow - minAvailable));
      }
    }
    this.writeStatus(deployment, spec, { hash, desired, unavailable, ...split(), available }, now);
  }

  private writeStatus(deployment: KubeObject, spec: DeploymentSpec, s: RolloutState, now: number): void {
    const key = ownerOf(deployment);
    const { tracker, status } = deploymentStatus(
      this.trackers.get(key),
      {
        replicaSet: `${deployment.metadata.name}-${s.hash}`,
        hash: s.hash,
        generation: deployment.metadata.generation ?? 1,
        desired: s.desired,
        maxUnavailable: s.unavailable,
        deadlineMs: (spec.progressDeadlineSeconds ?? 600) * 1000 * this.ctx.timeScale,
        total: s.active.length,
        old: s.old.length,
        updated: s.fresh.length,
        updatedAvailable: s.fresh.filter(s.available).length,
        ready: s.active.filter((p) => p.ready).length,
        available: s.active.filter(s.available).length,
      },
      now,
    );
    this.trackers.set(key, tracker);
    this.ctx.store.putStatus(refOf(deployment), status);
  }
}
