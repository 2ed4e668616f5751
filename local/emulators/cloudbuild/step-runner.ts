import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { runBake } from '../../../bake-steps/run-bake.js';
import { extractArchive } from '../../../bake-steps/safe-extract.js';
import { putModel } from '../../image-store.js';
import { readStepOutput, StepExit, type EmulatedStep, type StepExecutor, type StepRun } from './step-executor.js';

/**
 * Runs one build step in this process, for machines with no container runtime: the same code as in Cloud Build
 * wherever possible.
 * - `entrypoint: modelship` steps run `modelship bake ...` in-process (bake-steps/run-bake.ts, what the image runs);
 * - the crane/gcrane push step is replaced by its effect: the model layer (the same tarball) goes into the local image
 *   store, named by content digest, from the step's documented env (BASE, TARGET, LAYER, MODEL_NAME);
 * - Docker steps are skipped, saying so (the optional smoke check's container needs an engine);
 * - any other builder fails the step: the emulator does not pretend to run what it cannot.
 */

const CRANE_ENV = ['BASE', 'TARGET', 'LAYER', 'MODEL_NAME'] as const;

async function emulatedPush(
  step: EmulatedStep,
  cwd: string,
  run: StepRun,
  imageStore: string,
  outputFile: string,
): Promise<void> {
  const missing = CRANE_ENV.filter((k) => !step.env[k]);
  if (missing.length) {
    throw new Error(
      `the emulator runs the push step from its env ${CRANE_ENV.join(', ')}; missing: ${missing.join(', ')}`,
    );
  }
  const { BASE, TARGET, LAYER, MODEL_NAME } = step.env as Record<(typeof CRANE_ENV)[number], string>;
  const layerDir = join(run.workspace, `.layer-${step.index}`);
  await extractArchive(resolve(cwd, LAYER), layerDir, { maxFiles: 1e6, maxBytes: Number.MAX_SAFE_INTEGER }, run.signal);
  const image = await putModel(imageStore, {
    modelName: MODEL_NAME,
    modelDir: join(layerDir, 'models', MODEL_NAME),
    tags: [TARGET],
  });
  const ref = `${TARGET.replace(/:[^/:]+$/, '')}@sha256:${image.digest}`;
  run.log(`pushed ${TARGET} as ${ref}: the model layer on ${BASE} (here: ${image.dir})`);
  await writeFile(join(cwd, 'image.ref'), ref);
  await writeFile(outputFile, ref);
}

/** What the step would print on its way out: the CLI's `modelship bake: <message>`, or the emulator's own error. */
async function logged<T>(step: EmulatedStep, run: StepRun, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    run.log(`${step.entrypoint === 'modelship' ? 'modelship bake' : 'ERROR'}: ${(err as Error).message}`);
    throw err;
  }
}

/** Steps run in this process; pushed images go to the local image store at `imageStore`. */
export const inProcessSteps =
  (imageStore: string): StepExecutor =>
  async (step, run) => {
    const outputDir = join(run.workspace, '.builder-output', String(step.index));
    await mkdir(outputDir, { recursive: true });
    const outputFile = join(outputDir, 'output');
    const cwd = resolve(run.workspace, step.dir);
    const env = { ...step.env, BUILDER_OUTPUT: outputDir };
    const work = logged(step, run, async () => {
      if (step.entrypoint === 'modelship') {
        if (step.args[0] !== 'bake')
          throw new Error(`the emulator runs \`modelship bake\` steps only, not \`modelship ${step.args[0]}\``);
        await runBake(step.args.slice(1), { cwd, env, print: run.log, signal: run.signal });
      } else if (/^gcr\.io\/go-containerregistry\/g?crane(:|@|$)/.test(step.name)) {
        await emulatedPush(step, cwd, run, imageStore, outputFile);
      } else if (/^gcr\.io\/cloud-builders\/docker(:|@|$)/.test(step.name)) {
        run.log('skipped: the Cloud Build emulator has no Docker engine (the smoke check runs in Google Cloud only)');
      } else {
        throw new Error(`builder ${step.name} is not emulated (only modelship, crane and docker steps are)`);
      }
    });
    // A failed step's output is kept too, as Cloud Build keeps it (step-executor.ts).
    const failed = await work.then(
      () => false,
      () => true,
    );
    const output = await readStepOutput(outputFile);
    if (failed) throw new StepExit(1, output);
    return output;
  };
