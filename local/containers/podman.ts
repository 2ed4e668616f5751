import { execFile, spawnSync } from 'node:child_process';
import { ModelshipError } from '../../shared/errors.js';
import { stackOwner } from '../process-start.js';

/**
 * The local stack's container runtime: podman, driven through its command line as a person would. The flags that
 * make it work on these machines are set here once (../shared/reference/containers.md):
 * - crun refuses cgroups in hybrid mode: runc with the cgroupfs manager;
 * - the process may not raise resource limits, and podman raises them by default: give them explicitly.
 */

export const PODMAN_GLOBAL_FLAGS = ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs'] as const;
/** Limits no higher than this machine's own, so that setting them is not raising them. */
export const ULIMIT_FLAGS = ['--ulimit', 'nofile=16384:16384', '--ulimit', 'nproc=4096:4096'] as const;
/** Every container and image of the local stack carries it, so that a cleanup finds only ours. */
export const STACK_LABEL = 'dev.modelship.local';
/** Which stack started a container (stackOwner): the next stack in its directory removes a killed one's. */
export const STACK_OWNER_LABEL = `${STACK_LABEL}.owner`;

/** The labels of every container the stack runs: what it is for, and which stack started it. */
export const stackLabels = (kind: string): string[] => [
  '--label',
  `${STACK_LABEL}=${kind}`,
  '--label',
  `${STACK_OWNER_LABEL}=${stackOwner()}`,
];

export const INSTALL_HINT = 'apt-get install podman runc docker-registry mmdebstrap';

export class PodmanError extends ModelshipError {
  override readonly name = 'PodmanError';
  constructor(
    message: string,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(message);
  }
}

/** Why containers cannot run here, or undefined when they can. */
export function containerRuntimeMissing(): string | undefined {
  const missing = ['podman', 'runc', 'docker-registry', 'mmdebstrap'].filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0,
  );
  return missing.length ? `${missing.join(', ')} not installed` : undefined;
}

export interface PodmanCall {
  signal?: AbortSignal;
  /** Bytes of output kept (a build prints a lot). */
  maxBuffer?: number;
}

/** Runs `podman ARGS` with the machine's global flags; resolves with its stdout, rejects with its stderr. */
export function podman(args: readonly string[], call: PodmanCall = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'podman',
      [...PODMAN_GLOBAL_FLAGS, ...args],
      { maxBuffer: call.maxBuffer ?? 64 * 1024 * 1024, ...(call.signal ? { signal: call.signal } : {}) },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const code = typeof err.code === 'number' ? err.code : null;
        const detail = stderr.trim().split('\n').slice(-5).join('\n') || err.message;
        reject(new PodmanError(`podman ${args.slice(0, 2).join(' ')} failed: ${detail}`, stderr, code));
      },
    );
  });
}

/** Whether the local image store has IMAGE. */
export async function imageExists(image: string): Promise<boolean> {
  return podman(['image', 'exists', image]).then(
    () => true,
    () => false,
  );
}

/** podman's own error line ("Error: …", which quotes the registry's answer), without the retry warnings before it. */
export function podmanErrorLine(err: unknown): string {
  const line = err instanceof PodmanError ? err.stderr.match(/^Error: (.*)$/m)?.[1] : undefined;
  return line ?? (err instanceof Error ? err.message : String(err));
}

/** The registry part of an image reference, as Docker reads one: a first component with a '.' or ':', or localhost. */
export function registryOf(image: string): string | undefined {
  const first = image.split('/')[0] ?? '';
  return image.includes('/') && (/[.:]/.test(first) || first === 'localhost') ? first : undefined;
}

/** Whether the image lives in a registry on this machine: the only registries the local stack reaches. */
export function inLocalRegistry(image: string): boolean {
  const registry = registryOf(image);
  return registry !== undefined && /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(registry);
}

/** Pulls an image from the local registry, which speaks plain HTTP; rejects with podman's error. */
export async function pullLocal(image: string): Promise<void> {
  await podman(['pull', '--quiet', '--tls-verify=false', image]);
}
