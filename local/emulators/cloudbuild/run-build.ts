import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StepExit, type EmulatedStep, type StepExecutor } from './step-executor.js';
import { timestamp, type Wire, type WireBuild, type WireStep } from './wire-build.js';

/** Why a build was aborted: its timeout, or the emulator stopping. */
export const STOPPED = new Error('the emulator stopped');

export interface BuildRun {
  workDir: string;
  executeStep: StepExecutor;
  secrets: Record<string, string>;
  log: (line: string) => void;
  abort: AbortController;
  /** Publishes the build's current state; resolves once it is out. */
  notify: () => Promise<void>;
}

interface Failure {
  status: 'FAILURE' | 'TIMEOUT' | 'CANCELLED';
  type: string;
  detail: string;
}

const envMap = (pairs: readonly string[]) =>
  Object.fromEntries(
    pairs.map((p) => (p.includes('=') ? [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] : [p, ''])),
  );
const seconds = (d: WireStep['timeout']) => Number((d as { seconds?: string | number } | undefined)?.seconds ?? 0);

/** The steps a step waits for: `waitFor` ids, none for `-`, or every step before it when empty (Cloud Build's rule). */
function dependencies(steps: readonly WireStep[], index: number): number[] {
  const waitFor = (steps[index]?.waitFor as string[] | undefined) ?? [];
  if (waitFor.length === 0) return steps.slice(0, index).map((_, i) => i);
  return waitFor.filter((id) => id !== '-').map((id) => steps.findIndex((s) => s.id === id));
}

/**
 * Runs a QUEUED build to its end in a workspace of its own, as Cloud Build does: WORKING, each step when the steps it
 * waits for have succeeded (`waitFor`), each step's status, exit code and timing, its timeout, the steps' outputs in
 * results.buildStepOutputs, and SUCCESS, FAILURE (with failureInfo), TIMEOUT or CANCELLED. The build object is updated
 * in place; `notify` is called at WORKING (the caller notifies the end).
 */
export async function runBuild(build: WireBuild, run: BuildRun): Promise<void> {
  const { abort, log } = run;
  const workspace = join(run.workDir, 'builds', build.id, 'workspace');
  await mkdir(workspace, { recursive: true });
  const timer = setTimeout(() => abort.abort(new Error('Build timed out')), Number(build.timeout?.seconds) * 1000);
  Object.assign(build, { status: 'WORKING', startTime: timestamp() });
  await run.notify();
  log(`starting build "${build.id}"`);
  const secretOf = new Map(
    (build.availableSecrets?.secretManager ?? []).map((s) => [s.env, run.secrets[s.versionName]]),
  );
  const outputs: Buffer[] = [];
  let failure: Failure | undefined;
  const done: Array<Promise<boolean>> = [];

  const runStep = async (step: WireStep, index: number): Promise<boolean> => {
    const ok = await Promise.all(dependencies(build.steps, index).map((d) => done[d]));
    if (!ok.every(Boolean) || failure || abort.signal.aborted) return false;
    const prefix = `Step #${index} - "${step.id || step.name}"`;
    const stepLog = (line: string) => log(`${prefix}: ${line}`);
    Object.assign(step, { status: 'WORKING', timing: { startTime: timestamp() } });
    log(`Starting ${prefix}`);
    // A step's own timeout aborts it alone; the build's aborts every step.
    const stepAbort = new AbortController();
    const forward = () => stepAbort.abort(abort.signal.reason);
    abort.signal.addEventListener('abort', forward, { once: true });
    const limit = seconds(step.timeout);
    const stepTimer =
      limit > 0
        ? setTimeout(() => stepAbort.abort(new Error(`Step timed out after ${limit}s`)), limit * 1000)
        : undefined;
    try {
      const missing = step.secretEnv.filter((name) => secretOf.get(name) === undefined);
      if (missing.length) {
        stepLog(`ERROR: failed to access the secret version of ${missing.join(', ')}: NOT_FOUND`);
        throw new StepExit(1);
      }
      const env = {
        ...envMap(step.env),
        ...Object.fromEntries(step.secretEnv.map((n) => [n, secretOf.get(n) as string])),
      };
      const emulated: EmulatedStep = { ...step, index, env };
      outputs[index] = await run.executeStep(emulated, {
        buildId: build.id,
        workspace,
        log: stepLog,
        signal: stepAbort.signal,
      });
      Object.assign(step, { status: 'SUCCESS', exitCode: 0 });
      return true;
    } catch (err) {
      const reason = stepAbort.signal.aborted ? (stepAbort.signal.reason as Error) : undefined;
      const exitCode = err instanceof StepExit ? err.exitCode : 1;
      if (err instanceof StepExit) outputs[index] = err.output;
      if (reason) stepLog(`ERROR: ${reason.message}`);
      else if (!(err instanceof StepExit)) stepLog(`ERROR: ${(err as Error).message}`);
      const status = reason === STOPPED ? 'CANCELLED' : reason ? 'TIMEOUT' : 'FAILURE';
      Object.assign(step, { status, exitCode });
      failure ??=
        status === 'FAILURE'
          ? {
              status,
              type: 'USER_BUILD_STEP',
              detail: `Build step failure: build step ${index} "${step.name}" failed: step exited with non-zero status: ${exitCode}`,
            }
          : abort.signal.aborted
            ? { status, type: 'FAILURE_TYPE_UNSPECIFIED', detail: (reason as Error).message }
            : {
                status: 'FAILURE',
                type: 'USER_BUILD_STEP',
                detail: `Build step failure: build step ${index} "${step.name}" timed out after ${limit}s`,
              };
      return false;
    } finally {
      clearTimeout(stepTimer);
      abort.signal.removeEventListener('abort', forward);
      (step.timing as Wire).endTime = timestamp();
      log(`Finished ${prefix}`);
    }
  };
  build.steps.forEach((step, index) => done.push(runStep(step, index)));
  await Promise.all(done);
  clearTimeout(timer);
  if (!failure && abort.signal.aborted) {
    const reason = abort.signal.reason as Error;
    failure = {
      status: reason === STOPPED ? 'CANCELLED' : 'TIMEOUT',
      type: 'FAILURE_TYPE_UNSPECIFIED',
      detail: reason.message,
    };
  }
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
  await rm(join(run.workDir, 'builds', build.id), { recursive: true, force: true });
}
