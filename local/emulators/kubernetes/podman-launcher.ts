import { randomBytes } from 'node:crypto';
import {
  inLocalRegistry,
  podman,
  podmanErrorLine,
  pullLocal,
  registryOf,
  stackLabels,
  ULIMIT_FLAGS,
} from '../../containers/podman.js';
import { ImagePullError, type ContainerExit, type ContainerLaunch, type PodLauncher } from './pod-launcher.js';

/**
 * Runs each pod as a container of its image, as a kubelet does: the image pulled from the local registry by the
 * pod's reference, the pod's args appended to the image's entrypoint, its env, its CPU and memory limits as the
 * cgroup's quota and limit, its ConfigMap volumes mounted read-only, its container ports published on 127.0.0.1,
 * and its output in the kubelet's CRI log format (podman's k8s-file driver) at the launch's log file. A container
 * is removed once it has exited, whether it crashed or was stopped: a restart is a new container.
 */

export interface PodmanLauncherOptions {
  /** Flags appended to every container's args (the local stack gives the simulator `--load_time_ms=200`). */
  extraArgs?: string[];
  /** Labels for every container besides the stack's and the pod's (a test finds its own by them). */
  labels?: Record<string, string>;
}

/** The labels the kubelet's containers carry for their pod. */
export const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
export const POD_NAME_LABEL = 'io.kubernetes.pod.name';

/** Pulls at every start (imagePullPolicy Always): a present image costs only its manifest on the loopback registry. */
async function pull(image: string): Promise<void> {
  if (!inLocalRegistry(image))
    throw new ImagePullError(
      `failed to pull image "${image}": the local cluster pulls only from the local registry on 127.0.0.1, not from ${registryOf(image) ?? 'Docker Hub'}`,
    );
  await pullLocal(image).catch((err: unknown) => {
    throw new ImagePullError(`failed to pull image "${image}": ${podmanErrorLine(err)}`, { cause: err });
  });
}

const labelFlags = (labels: Record<string, string>): string[] =>
  Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);

function runArgs(launch: ContainerLaunch, name: string, options: PodmanLauncherOptions): string[] {
  return [
    'run',
    '--detach',
    '--pull=never',
    '--name',
    name,
    ...stackLabels('pod'),
    ...labelFlags({
      [POD_NAMESPACE_LABEL]: launch.namespace,
      [POD_NAME_LABEL]: launch.podName,
      ...options.labels,
    }),
    ...ULIMIT_FLAGS,
    ...(launch.cpuLimitMillis ? ['--cpus', String(launch.cpuLimitMillis / 1000)] : []),
    ...(launch.memoryLimitMiB ? ['--memory', `${launch.memoryLimitMiB}m`] : []),
    ...Object.entries(launch.env).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
    ...launch.mounts.flatMap((m) => ['--volume', `${m.hostPath}:${m.mountPath}:ro`]),
    ...launch.ports.flatMap((port) => ['--publish', `127.0.0.1::${port}`]),
    '--log-driver',
    'k8s-file',
    '--log-opt',
    `path=${launch.logFile}`,
    launch.image,
    ...launch.args,
    ...(options.extraArgs ?? []),
  ];
}

interface Inspected {
  State: { Pid: number };
  NetworkSettings: { Ports?: Record<string, Array<{ HostPort: string }> | null> };
}

/** The container's host PID (0 once it has exited) and its published ports: container port → loopback port. */
async function inspect(id: string): Promise<{ pid: number; ports: Map<number, number> }> {
  const [container] = JSON.parse(await podman(['container', 'inspect', id])) as Inspected[];
  const ports = new Map<number, number>();
  for (const [spec, bindings] of Object.entries(container?.NetworkSettings.Ports ?? {})) {
    const host = bindings?.[0]?.HostPort;
    if (host) ports.set(Number.parseInt(spec, 10), Number(host));
  }
  return { pid: container?.State.Pid ?? 0, ports };
}

/** Removal is best effort: whatever it leaves carries STACK_LABEL, by which the local stack cleans up. */
const remove = (id: string): Promise<void> =>
  podman(['rm', '--force', '--ignore', id]).then(
    () => undefined,
    () => undefined,
  );

/** Runs the container detached; one that was created but did not start is removed. */
async function runContainer(
  args: string[],
  name: string,
): Promise<{ id: string; pid: number; ports: Map<number, number> }> {
  try {
    const id = (await podman(args)).trim();
    return { id, ...(await inspect(id)) };
  } catch (err) {
    await remove(name);
    throw err;
  }
}

export function podmanLauncher(options: PodmanLauncherOptions = {}): PodLauncher {
  return async (launch) => {
    await pull(launch.image);
    // Unique per start, as a kubelet names each attempt's container.
    const name = `k8s_${launch.namespace}_${launch.podName}_${randomBytes(4).toString('hex')}`;
    const { id, pid, ports } = await runContainer(runArgs(launch, name, options), name);
    const exited = podman(['wait', id])
      .then(
        (out) => Number.parseInt(out, 10),
        () => Number.NaN,
      )
      .then(async (code): Promise<ContainerExit> => {
        await remove(id);
        return { code: Number.isNaN(code) ? null : code, signal: null };
      });
    return {
      ...(pid ? { pid } : {}),
      ports,
      exited,
      async stop(graceMs) {
        // podman's grace is whole seconds: round up, never cutting the pod's grace short. If stop fails, kill.
        await podman(['stop', '--ignore', '--time', String(Math.ceil(graceMs / 1000)), id]).catch(() => remove(id));
        await exited;
      },
    };
  };
}
