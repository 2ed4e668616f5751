import type { ChildProcess } from 'node:child_process';
import { ModelshipError } from '../../../shared/errors.js';

/**
 * How the emulator runs a pod's container: a launcher starts it from the container's spec and reports the
 * loopback ports its container ports landed on. The local stack launches TF Serving simulators
 * (tfs-sim-launcher.ts); unit tests launch fakes.
 */

export interface ContainerLaunch {
  podName: string;
  namespace: string;
  image: string;
  env: Record<string, string>;
  args: string[];
  /** The container's CPU limit in millicores, when it has one. */
  cpuLimitMillis?: number;
  /** The container's memory limit in MiB, when it has one. */
  memoryLimitMiB?: number;
  /** Container ports to expose (8500, 8501). */
  ports: number[];
  /** Volumes, projected on this machine: each mountPath maps to a host directory. */
  mounts: Array<{ mountPath: string; hostPath: string }>;
  /** Where the container's stdout and stderr go. */
  logFile: string;
}

export interface ContainerExit {
  code: number | null;
  signal: string | null;
}

export interface RunningContainer {
  /** The PID of the process the launcher started, when it started one. */
  readonly pid?: number;
  /** container port → port on 127.0.0.1 */
  readonly ports: ReadonlyMap<number, number>;
  readonly exited: Promise<ContainerExit>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the container has exited. */
  stop(graceMs: number): Promise<void>;
}

export type PodLauncher = (launch: ContainerLaunch) => Promise<RunningContainer>;

/** The image cannot be found: the pod shows ErrImagePull, as on a real node. */
export class ImagePullError extends ModelshipError {
  override readonly name = 'ImagePullError';
}

/** A child process as a container: its PID, its exit, and a stop that sends SIGTERM, then SIGKILL after the grace. */
export function processContainer(child: ChildProcess, ports: ReadonlyMap<number, number>): RunningContainer {
  const exited = new Promise<ContainerExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: 127, signal: null }));
  });
  return {
    ...(child.pid !== undefined ? { pid: child.pid } : {}),
    ports,
    exited,
    async stop(graceMs) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
