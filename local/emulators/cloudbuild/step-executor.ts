import { readFile } from 'node:fs/promises';

/**
 * How the Cloud Build emulator runs one step: as a container of the step's image (container-step.ts, the local
 * stack's default) or in this process (step-runner.ts, for machines without a container runtime). Both resolve with
 * what the step wrote to $BUILDER_OUTPUT/output and throw when the step fails, having logged why.
 */

export interface EmulatedStep {
  index: number;
  id: string;
  name: string;
  entrypoint: string;
  args: string[];
  env: Record<string, string>;
  dir: string;
}

export interface StepRun {
  buildId: string;
  /** The build's /workspace on this machine. */
  workspace: string;
  log: (line: string) => void;
  signal: AbortSignal;
}

export type StepExecutor = (step: EmulatedStep, run: StepRun) => Promise<Buffer>;

/** The first 50 KB of `$BUILDER_OUTPUT/output` become results.buildStepOutputs[i] (Cloud Build's documented limit). */
export const BUILDER_OUTPUT_LIMIT = 50 * 1024;

/**
 * A step that exited non-zero: Cloud Build reports the status in failureInfo, and keeps what the step wrote to
 * $BUILDER_OUTPUT/output all the same (cloud-build-local's build.go captures it whatever the step's exit).
 */
export class StepExit extends Error {
  constructor(
    readonly exitCode: number,
    readonly output: Buffer = Buffer.alloc(0),
  ) {
    super(`step exited with non-zero status: ${exitCode}`);
  }
}

/** The first BUILDER_OUTPUT_LIMIT bytes of a step's output file, or nothing when it wrote none. */
export const readStepOutput = async (file: string): Promise<Buffer> =>
  (await readFile(file).catch(() => Buffer.alloc(0))).subarray(0, BUILDER_OUTPUT_LIMIT);
