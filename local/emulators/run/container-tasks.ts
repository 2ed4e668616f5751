import { spawn } from 'node:child_process';
import {
  PODMAN_GLOBAL_FLAGS,
  stackLabels,
  STACK_LABEL,
  ULIMIT_FLAGS,
  podman,
  podmanErrorLine,
  pullLocal,
} from '../../containers/podman.js';
import type { ImageJob } from './job.js';
import type { TaskRuntime } from './task.js';

/** Each task's container carries the execution's full name and the task's index, besides the stack's label. */
export const EXECUTION_LABEL = `${STACK_LABEL}.run-execution`;
export const TASK_INDEX_LABEL = `${STACK_LABEL}.run-task-index`;

/** Cloud Run's resources.limits as podman's flags: cpu '2' or '500m', memory in Ki, Mi or Gi. */
function limitFlags(limits: ImageJob['limits']): string[] {
  const flags: string[] = [];
  if (limits?.cpu) {
    const cpu = /^(\d+(?:\.\d+)?)(m?)$/.exec(limits.cpu);
    if (!cpu) throw new Error(`cpu limit '${limits.cpu}': expected cores such as 2 or millicores such as 500m`);
    flags.push(`--cpus=${Number(cpu[1]) / (cpu[2] ? 1000 : 1)}`);
  }
  if (limits?.memory) {
    const memory = /^(\d+)([KMG])i$/.exec(limits.memory);
    if (!memory) throw new Error(`memory limit '${limits.memory}': expected a size such as 512Mi or 2Gi`);
    flags.push(`--memory=${memory[1]}${memory[2]!.toLowerCase()}`);
  }
  return flags;
}

/**
 * Image jobs' tasks as podman containers, as Cloud Run runs them: the image pulled from the (local, plain HTTP)
 * registry once per execution, each task created with `--network host` (so that it reaches the emulators and the
 * load balancers on 127.0.0.1), the stack's ulimits and the job's limits, then started attached so that its output
 * reaches the log and its exit code is the task's. The ids of every container not yet removed are held here, so that
 * stopping the emulator leaves none behind.
 */
export class ContainerTasks {
  private readonly ids = new Set<string>();
  private closed = false;

  runtimeFor(job: ImageJob): TaskRuntime {
    const limits = limitFlags(job.limits);
    const mounts = (job.mounts ?? []).flatMap((m) => ['--volume', `${m.hostPath}:${m.mountPath}:U`]);
    return {
      prepare: async () => {
        await pullLocal(job.image).catch((err: unknown) => {
          throw new Error(`Image '${job.image}' could not be pulled: ${podmanErrorLine(err)}`);
        });
      },
      launch: async (task) => {
        const env = Object.entries(task.env).flatMap(([name, value]) => ['--env', `${name}=${value}`]);
        const labels = [`${EXECUTION_LABEL}=${task.execution}`, `${TASK_INDEX_LABEL}=${task.index}`];
        const id = (
          await podman([
            'create',
            '--name',
            task.name,
            '--pull=never',
            '--network',
            'host',
            ...ULIMIT_FLAGS,
            ...limits,
            ...mounts,
            ...stackLabels('run-task'),
            ...labels.flatMap((l) => ['--label', l]),
            ...env,
            job.image,
            ...task.args,
          ]).catch((err: unknown) => {
            throw new Error(podmanErrorLine(err));
          })
        ).trim();
        this.ids.add(id);
        // A stop that came while podman was creating it has not seen this id.
        if (this.closed) {
          await this.remove(id);
          throw new Error('the emulator stopped');
        }
        const child = spawn('podman', [...PODMAN_GLOBAL_FLAGS, 'start', '--attach', id], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        return {
          exited: task.log.follow(child, task.index).finally(() => this.remove(id)),
          kill: () => this.remove(id),
        };
      },
    };
  }

  /** Kills and removes every container still held; no task starts after it. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.ids].map((id) => this.remove(id)));
  }

  /** `rm --time 0` kills a running container at once, as a task timeout does; `--ignore`: it may be gone already. */
  private async remove(id: string): Promise<void> {
    await podman(['rm', '--force', '--ignore', '--time', '0', id]);
    this.ids.delete(id);
  }
}
