import { spawn } from 'node:child_process';

/**
 * How apply runs a command: argv in, exit code and output out. Production spawns the real gcloud and kubectl
 * (no shell, so no quoting to get wrong); tests pass a fake that answers from a recorded state.
 */

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: string;
  env?: Readonly<Record<string, string>>;
}

export type CommandRunner = (argv: readonly string[], options?: RunOptions) => Promise<RunResult>;

/** Exit code of a command that could not be started (the shell's "command not found"). */
export const NOT_INSTALLED = 127;

export function createProcessRunner(baseEnv: NodeJS.ProcessEnv = process.env): CommandRunner {
  return (argv, options = {}) =>
    new Promise((resolve) => {
      const [file, ...args] = argv;
      if (!file) throw new Error('createProcessRunner: empty argv');
      const child = spawn(file, args, {
        // Never wait for an answer on a prompt: gcloud fails instead, with a message saying what it wanted.
        env: { ...baseEnv, CLOUDSDK_CORE_DISABLE_PROMPTS: '1', ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e: NodeJS.ErrnoException) => {
        const missing = e.code === 'ENOENT';
        resolve({
          code: missing ? NOT_INSTALLED : 1,
          stdout: '',
          stderr: missing ? `${file}: command not found` : e.message,
        });
      });
      child.on('close', (code) => {
        resolve({
          code: code ?? 1,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.stdin ?? '');
    });
}
