import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runStep, type EmulatedStep } from './step-runner.js';
import { timestamp, type Wire, type WireBuild } from './wire-build.js';

/** Why a build was aborted: its timeout, or the emulator stopping. */
export const STOPPED = new Error('the emulator stopped');

export interface BuildRun {
  workDir: string;
  imageStore: string;
  secrets: Record<string, string>;
  log: (line: string) => void;
  abort: AbortController;
  /** Publishes the build's current state; resolves once it is out. */
  notify: () => Promise<void>;
}

const envMap = (pairs: readonly string[]) =>
  Object.fromEntries(
    pairs.map((p) => (p.includes('=') ? [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] : [p, ''])),
  );

/**
 * Runs a QUEUED build to its end, step by step in a workspace of its own, as Cloud Build does: WORKING, each step's
 * status and timing, the steps' outputs in results.buildStepOutputs, and SUCCESS, FAILURE (with failureInfo), TIMEOUT
 * or CANCELLED. The build object is updated in place; `notify` is called at WORKING (the caller notifies the end).
 */
export async function runBuild(build: WireBuild, run: BuildRun): Promise<void> {
  const { abort, log } = run;
  const workspace = join(run.workDir, 'builds', build.id);
  await mkdir(workspace, { recursive: true });
  const timer = setTimeout(() => abort.abort(new Error('Build timed out')), Number(build.timeout?.seconds) * 1000);
  const aborted = new Promise<never>((_, reject) => {
    if (abort.signal.aborted) reject(abort.signal.reason);
    else abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true });
  });
  aborted.catch(() => undefined);
  Object.assign(build, { status: 'WORKING', startTime: timestamp() });
  await run.notify();
  log(`starting build "${build.id}"`);
  const secretOf = new Map(
    (build.availableSecrets?.secretManager ?? []).map((s) => [s.env, run.secrets[s.versionName]]),
  );
  const outputs: Buffer[] = [];
  let failure: { status: string; type: string; detail: string } | undefined;
  for (const [index, step] of build.steps.entries()) {
    if (failure) break;
    const prefix = `Step #${index} - "${step.id || step.name}"`;
    const stepLog = (line: string) => log(`${prefix}: ${line}`);
    Object.assign(step, { status: 'WORKING', timing: { startTime: timestamp() } });
    log(`Starting ${prefix}`);
    try {
      const missing = step.secretEnv.filter((name) => secretOf.get(name) === undefined);
      if (missing.length) {
        stepLog(`ERROR: failed to access the secret version of ${missing.join(', ')}: NOT_FOUND`);
        throw new Error('missing secret');
      }
      const env = {
        ...envMap(step.env),
        ...Object.fromEntries(step.secretEnv.map((n) => [n, secretOf.get(n) as string])),
      };
      const emulated: EmulatedStep = { ...step, index, env };
      const stepRun = { workspace, imageStore: run.imageStore, log: stepLog, signal: abort.signal };
      outputs[index] = await Promise.race([runStep(emulated, stepRun), aborted]);
      Object.assign(step, { status: 'SUCCESS', exitCode: 0 });
    } catch {
      const ended = abort.signal.aborted ? (abort.signal.reason === STOPPED ? 'CANCELLED' : 'TIMEOUT') : undefined;
      if (ended) stepLog(`ERROR: ${(abort.signal.reason as Error).message}`);
      Object.assign(step, { status: ended ?? 'FAILURE', exitCode: 1 });
      failure = ended
        ? { status: ended, type: 'FAILURE_TYPE_UNSPECIFIED', detail: (abort.signal.reason as Error).message }
        : {
            status: 'FAILURE',
            type: 'USER_BUILD_STEP',
            detail: `Build step failure: build step ${index} "${step.name}" failed: step exited with non-zero status: 1`,
          };
    }
    (step.timing as Wire).endTime = timestamp();
    log(`Finished ${prefix}`);
  }
  clearTimeout(timer);
  Object.assign(build, {
    status: failure?.status ?? 'SUCCESS',
    finishTime: timestamp(),
    results: {
      buildStepOutputs: build.steps.map((_, i) => outputs[i] ?? Buffer.alloc(0)),
      buildStepImages: build.steps.map(() => ''),
    },
    ...(failure ? { failureInfo: { type: failure.type, detail: failure.detail }, statusDetail: failure.detail } : {}),
  });
  log(failure ? `ERROR: ${failure.detail}` : 'DONE');
  await rm(workspace, { recursive: true, force: true });
}
