import { fork, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

export interface Child {
  readonly pid: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Forks a Node module of this package with its output in a log file, waits for it to report `{ready: value}` over
 * IPC, and returns that value. A child that exits first fails the start with the tail of its log named.
 */
export async function forkReady<T>(
  module: string,
  args: string[],
  { env, logFile, timeoutMs = 60_000 }: { env: NodeJS.ProcessEnv; logFile: string; timeoutMs?: number },
): Promise<Child & { ready: T }> {
  const fd = openSync(logFile, 'a');
  const child = fork(module, args, { env, stdio: ['ignore', fd, fd, 'ipc'] });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    const ready = await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${module} was not ready after ${timeoutMs} ms; see ${logFile}`)),
        timeoutMs,
      );
      child.on('message', (m: { ready?: T }) => {
        if (m && 'ready' in m) {
          clearTimeout(timer);
          resolve(m.ready as T);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${module} exited with code ${code} before it was ready; see ${logFile}`));
      });
    });
    return { pid: child.pid ?? -1, child, stop, ready };
  } catch (err) {
    await stop();
    throw err;
  }
}
