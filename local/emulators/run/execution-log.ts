import type { ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/**
 * An execution's log, its logUri: one file for all its tasks, as Cloud Logging holds one stream per execution. Each
 * line says where it comes from, `[task 0] …` for a task's stdout and stderr, `[execution] …` for what the emulator
 * reports (why a task failed), since tasks run in parallel and their lines interleave.
 */
export class ExecutionLog {
  private readonly stream: WriteStream;

  constructor(readonly file: string) {
    this.stream = createWriteStream(file, { flags: 'a' });
  }

  write(source: string, line: string): void {
    this.stream.write(`[${source}] ${line}\n`);
  }

  /** Copies a task's output line by line; resolves with how it ended once its output is drained. */
  follow(child: ChildProcess, index: number): Promise<TaskExit> {
    const source = `task ${index}`;
    for (const output of [child.stdout, child.stderr]) {
      if (output) createInterface({ input: output, crlfDelay: Infinity }).on('line', (l) => this.write(source, l));
    }
    return new Promise((resolve) => {
      child.once('error', (err) => this.write(source, err.message));
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}

/** How a task's process ended: its exit code, or the signal that killed it. */
export interface TaskExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What one source wrote to an execution's log (`task 0`, `execution`), from the Execution's logUri. */
export function logLines(logUri: string, source: string): string[] {
  const prefix = `[${source}] `;
  return readFileSync(fileURLToPath(logUri), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));
}
