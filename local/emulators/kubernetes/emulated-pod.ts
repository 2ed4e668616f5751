import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../../../shared/errors.js';
import { parseCpuMillis, parseMemoryMiB } from '../../../shared/deploy/quantity.js';
import type { KubeObject, ObjectStore } from './object-store.js';
import { ImagePullError, type ContainerExit, type PodLauncher, type RunningContainer } from './pod-launcher.js';
import { MountError, projectVolumes, type Container, type PodTemplate } from './pod-template.js';
import { runProbes } from './probe.js';

/**
 * One pod, as a kubelet runs it: its (single) container started by the launcher with the pod's ConfigMap volumes
 * projected into files, the startup, readiness and liveness probes on their periods, restarts with the
 * CrashLoopBackOff delay, graceful termination (preStop sleep, SIGTERM, SIGKILL after the grace period), and a
 * Pod object in the store showing all of it. Every Kubernetes duration is multiplied by `timeScale`.
 */

export interface PodContext {
  store: ObjectStore;
  launcher: PodLauncher;
  workDir: string;
  timeScale: number;
  /** Asks the controller to look again: a pod became ready, unready or exited. */
  changed: () => void;
}

const MAX_BACKOFF_S = 300;
const PORTS_ANNOTATION = 'emulator.modelship.dev/ports';
const isoSecond = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000', '');

export class EmulatedPod {
  ready = false;
  readySince: number | undefined;
  terminating = false;
  private running: RunningContainer | undefined;
  private launching: Promise<void> | undefined;
  private started = false;
  private restartCount = 0;
  /** Starts that failed before the container ran (pull, mount, create): they back off without restarts. */
  private failedStarts = 0;
  private waiting: { reason: string; message?: string } | undefined = { reason: 'ContainerCreating' };
  private lastExit: { exitCode: number; reason: string; finishedAt: string } | undefined;
  private runningSince = 0;
  /** Bumped at each container start and at termination: callbacks of an older start do nothing. */
  private epoch = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly created = Date.now();

  constructor(
    private readonly ctx: PodContext,
    readonly namespace: string,
    readonly name: string,
    readonly owner: string,
    readonly hash: string,
    readonly template: PodTemplate,
  ) {}

  get pid(): number | undefined {
    return this.running?.pid;
  }

  get labels(): Record<string, string> {
    return { ...this.template.metadata?.labels, 'pod-template-hash': this.hash };
  }

  private get container(): Container | undefined {
    return this.template.spec.containers[0];
  }

  start(): void {
    this.persist();
    this.launching = this.startContainer();
  }

  isAvailable(minReadyMs: number, now = Date.now()): boolean {
    return this.ready && !this.terminating && this.readySince !== undefined && now - this.readySince >= minReadyMs;
  }

  /** The loopback port of a container port, by number or name. */
  hostPort(port: number | string): number | undefined {
    const number = typeof port === 'number' ? port : this.container?.ports?.find((p) => p.name === port)?.containerPort;
    return number === undefined ? undefined : this.running?.ports.get(number);
  }

  private scaled(seconds: number): number {
    return Math.max(5, seconds * 1000 * this.ctx.timeScale);
  }

  private after(ms: number, epoch: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (epoch === this.epoch) fn();
    }, ms);
    this.timers.add(timer);
  }

  private async startContainer(): Promise<void> {
    const epoch = ++this.epoch;
    const container = this.container;
    try {
      if (!container || this.template.spec.containers.length !== 1)
        throw new Error('the emulator runs pods of exactly one container');
      const logDir = join(this.ctx.workDir, 'pods', this.name);
      mkdirSync(logDir, { recursive: true });
      const { cpu, memory } = container.resources?.limits ?? {};
      const cpuLimitMillis = cpu === undefined ? undefined : parseCpuMillis(cpu);
      const memoryLimitMiB = memory === undefined ? undefined : parseMemoryMiB(memory);
      const running = await this.ctx.launcher({
        podName: this.name,
        namespace: this.namespace,
        image: container.image,
        env: Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? ''])),
        args: container.args ?? [],
        ...(cpuLimitMillis ? { cpuLimitMillis } : {}),
        ...(memoryLimitMiB ? { memoryLimitMiB } : {}),
        ports: (container.ports ?? []).map((p) => p.containerPort),
        mounts: projectVolumes(this.ctx.store, this.template, this.namespace, join(logDir, 'volumes')),
        logFile: join(logDir, `${container.name}.log`),
      });
      this.running = running;
      if (epoch !== this.epoch) return void (await running.stop(0));
      this.waiting = undefined;
      this.failedStarts = 0;
      this.runningSince = Date.now();
      void running.exited.then((exit) => this.exited(epoch, exit));
      const grace = this.scaled(this.template.spec.terminationGracePeriodSeconds ?? 30);
      runProbes(container, {
        after: (ms, fn) => this.after(ms, epoch, fn),
        isCurrent: () => epoch === this.epoch,
        hostPort: (port) => this.hostPort(port),
        scaled: (seconds) => this.scaled(seconds),
        started: () => (this.started = true),
        setReady: (ready) => this.setReady(ready),
        kill: () => void running.stop(grace),
      });
    } catch (err) {
      if (epoch !== this.epoch) return;
      this.failedStarts++;
      const pulling = this.waiting?.reason === 'ErrImagePull' || this.waiting?.reason === 'ImagePullBackOff';
      const reason =
        err instanceof ImagePullError
          ? pulling
            ? 'ImagePullBackOff'
            : 'ErrImagePull'
          : err instanceof MountError
            ? 'ContainerCreating'
            : 'CreateContainerError';
      this.waiting = { reason, message: errorMessage(err) };
      this.after(this.backoffMs(this.failedStarts), epoch, () => (this.launching = this.startContainer()));
    }
    this.persist();
    this.ctx.changed();
  }

  /** The kubelet's back-off: 10 s, doubling, at most 5 minutes. */
  private backoffMs(failures: number): number {
    return this.scaled(Math.min(10 * 2 ** Math.max(0, failures - 1), MAX_BACKOFF_S));
  }

  private exited(epoch: number, exit: ContainerExit): void {
    if (epoch !== this.epoch || this.terminating) return;
    this.epoch++;
    this.restartCount++;
    this.ready = false;
    this.started = false;
    this.readySince = undefined;
    this.running = undefined;
    this.lastExit = {
      exitCode: exit.code ?? 137,
      reason: exit.code === 0 ? 'Completed' : 'Error',
      finishedAt: isoSecond(Date.now()),
    };
    this.waiting = {
      reason: 'CrashLoopBackOff',
      message: `back-off restarting failed container ${this.container?.name}`,
    };
    this.after(this.backoffMs(this.restartCount), this.epoch, () => (this.launching = this.startContainer()));
    this.persist();
    this.ctx.changed();
  }

  private setReady(ready: boolean): void {
    if (ready === this.ready) return;
    this.ready = ready;
    this.readySince = ready ? Date.now() : undefined;
    this.persist();
    this.ctx.changed();
  }

  /** Deletes the pod gracefully: preStop, then SIGTERM and SIGKILL after the grace period (both scaled). */
  async terminate(graceful = true): Promise<void> {
    if (!this.terminating) {
      this.terminating = true;
      this.ready = false;
      this.epoch++;
      this.timers.forEach((t) => clearTimeout(t));
      this.timers.clear();
      this.persist();
      const preStop = this.container?.lifecycle?.preStop?.sleep?.seconds ?? 0;
      if (graceful && preStop > 0) await new Promise((resolve) => setTimeout(resolve, this.scaled(preStop)));
    }
    await this.launching;
    await this.running?.stop(graceful ? this.scaled(this.template.spec.terminationGracePeriodSeconds ?? 30) : 0);
    this.ctx.store.delete({ apiVersion: 'v1', kind: 'Pod', namespace: this.namespace, name: this.name });
  }

  private persist(): void {
    const c = this.container;
    const state = this.waiting ? { waiting: this.waiting } : { running: { startedAt: isoSecond(this.runningSince) } };
    const ports = Object.fromEntries(this.running?.ports ?? []);
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: this.labels,
        annotations: { ...this.template.metadata?.annotations, [PORTS_ANNOTATION]: JSON.stringify(ports) },
        creationTimestamp: isoSecond(this.created),
        ...(this.terminating ? { deletionTimestamp: isoSecond(Date.now()) } : {}),
      },
      spec: this.template.spec,
      status: {
        // Pending until the container first runs; Running after, through restarts.
        phase: this.running || this.restartCount > 0 ? 'Running' : 'Pending',
        podIP: '127.0.0.1',
        hostIP: '127.0.0.1',
        conditions: [{ type: 'Ready', status: this.ready ? 'True' : 'False' }],
        containerStatuses: [
          {
            name: c?.name ?? '',
            image: c?.image ?? '',
            ready: this.ready,
            started: this.started,
            restartCount: this.restartCount,
            state,
            ...(this.lastExit ? { lastState: { terminated: this.lastExit } } : {}),
          },
        ],
      },
    };
    this.ctx.store.put(pod);
  }
}
