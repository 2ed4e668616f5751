import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  PODMAN_GLOBAL_FLAGS,
  stackLabels,
  ULIMIT_FLAGS,
  imageExists,
  inLocalRegistry,
  podman,
  podmanErrorLine,
  pullLocal,
} from '../../containers/podman.js';
import { readStepOutput, StepExit, type StepExecutor } from './step-executor.js';

/**
 * Runs a build step as Cloud Build runs it: a container of the step's image (podman), with
 * - /workspace a volume owned by root, the working directory (`dir` relative to it); the image's WORKDIR and USER are
 *   not changed, so an image whose user is not root cannot write it, as in Cloud Build;
 * - the step's `entrypoint` replacing the image's (an executable on the image's PATH or an absolute path: runc refuses
 *   anything else with "executable file not found in $PATH"), its `args`, `env` and `secretEnv`;
 * - $BUILDER_OUTPUT (/builder/outputs) and HOME (/builder/home) volumes, the first 50 KB of `$BUILDER_OUTPUT/output`
 *   returned as the step's output;
 * - the image pulled from the local registry, or, for Google's builders that cannot be pulled here, their local
 *   stand-in (local/containers/images.ts), named in the log;
 * - the host network, where the local release server, registry and emulators listen (Cloud Build's `cloudbuild`
 *   network reaches the internet; here everything is on 127.0.0.1).
 */

export interface ContainerStepOptions {
  /** Stand-in images by the repository a build config names (`gcr.io/go-containerregistry/gcrane` → local tag). */
  builders: Record<string, string>;
}

const repositoryOf = (image: string) => image.replace(/@sha256:[a-f0-9]+$/, '').replace(/:[^/:]+$/, '');

/** The local image a step runs: a stand-in, or the step's image pulled from the local registry. */
async function stepImage(name: string, options: ContainerStepOptions, log: (line: string) => void): Promise<string> {
  const standin = options.builders[repositoryOf(name)];
  if (standin) {
    log(`${name}: using the local stand-in ${standin} (the real image cannot be pulled on this machine)`);
    return standin;
  }
  if (!inLocalRegistry(name)) {
    throw new Error(`failed to pull image "${name}": the local Cloud Build pulls only from the local registry`);
  }
  if (!(await imageExists(name))) {
    log(`Pulling image: ${name}`);
    await pullLocal(name).catch((err: unknown) => {
      throw new Error(`failed to pull image "${name}": ${podmanErrorLine(err)}`);
    });
  }
  return name;
}

export function containerSteps(options: ContainerStepOptions): StepExecutor {
  return async (step, run) => {
    const image = await stepImage(step.name, options, run.log);
    const outputs = join(run.workspace, '..', 'builder', `outputs-${step.index}`);
    const home = join(run.workspace, '..', 'builder', 'home');
    await Promise.all([mkdir(outputs, { recursive: true }), mkdir(home, { recursive: true })]);
    const container = `modelship-build-${run.buildId.slice(0, 8)}-${step.index}`;
    const env = { ...step.env, BUILDER_OUTPUT: '/builder/outputs', HOME: '/builder/home' };
    const args = [
      ...PODMAN_GLOBAL_FLAGS,
      'run',
      '--rm',
      '--name',
      container,
      ...stackLabels('build-step'),
      '--network',
      'host',
      ...ULIMIT_FLAGS,
      '-v',
      `${run.workspace}:/workspace`,
      '-v',
      `${outputs}:/builder/outputs`,
      '-v',
      `${home}:/builder/home`,
      '-w',
      join('/workspace', step.dir),
      // Names only: the values (a secret among them) come from podman's environment, never from its command line.
      ...Object.keys(env).flatMap((k) => ['-e', k]),
      ...(step.entrypoint ? ['--entrypoint', step.entrypoint] : []),
      image,
      ...step.args,
    ];
    const child = spawn('podman', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', run.log);
    const stop = () => void podman(['stop', '--time', '0', container]).catch(() => undefined);
    run.signal.addEventListener('abort', stop, { once: true });
    const code = await new Promise<number>((resolve) => {
      child.once('error', () => resolve(127));
      child.once('close', (exitCode) => resolve(exitCode ?? 137));
    });
    run.signal.removeEventListener('abort', stop);
    run.signal.throwIfAborted();
    const output = await readStepOutput(join(outputs, 'output'));
    if (code !== 0) throw new StepExit(code, output);
    return output;
  };
}
