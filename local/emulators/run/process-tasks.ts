import { spawn } from 'node:child_process';
import { noteSpawned } from '../../spawned.js';
import type { CommandJob } from './job.js';
import type { TaskRuntime } from './task.js';

/** A command job's tasks as host processes: the job's command, then the args, with `baseEnv` under the job's env. */
export function processRuntime(job: CommandJob, baseEnv: NodeJS.ProcessEnv): TaskRuntime {
  const [command = '', ...commandArgs] = job.command;
  return {
    prepare: async () => undefined,
    async launch(task) {
      const child = spawn(command, [...commandArgs, ...task.args], {
        env: { ...baseEnv, ...task.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      noteSpawned(child.pid);
      return {
        exited: task.log.follow(child, task.index),
        ...(child.pid === undefined ? {} : { pid: child.pid }),
        kill: async () => {
          child.kill('SIGKILL');
        },
      };
    },
  };
}
