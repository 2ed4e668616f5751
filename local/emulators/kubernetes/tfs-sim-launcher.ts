import { spawn } from 'node:child_process';
import { noteSpawned } from '../../spawned.js';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../../../shared/errors.js';
import { distPath } from '../../../shared/paths.js';
import { freePort } from '../../free-port.js';
import { resolveImage } from '../../image-store.js';
import { ImagePullError, processContainer, type PodLauncher } from './pod-launcher.js';

/**
 * Runs a TF Serving container as `modelship tfs-sim`, configured the way the image's entrypoint configures
 * tensorflow_model_server: `--port=8500 --rest_api_port=8501 --model_name=$MODEL_NAME
 * --model_base_path=$MODEL_BASE_PATH/$MODEL_NAME` followed by the container's args. On this machine the ports
 * become free loopback ports, the model base path the image's directory in the local image store, paths under a
 * mounted volume the volume's host directory, and the CPU limit the simulator's `--cpus` (whole CPUs).
 */

export interface TfsSimLauncherOptions {
  /** Root of the local image store (local/image-store.ts). */
  imageStore: string;
  /** The built CLI; tests and the local stack run the compiled simulator. */
  cliPath?: string;
  /** Flags for every simulator, after the container's own (e.g. `--load_time_ms=200`). */
  extraArgs?: string[];
}

const GRPC = 8500;
const REST = 8501;

type Mounts = ReadonlyArray<{ mountPath: string; hostPath: string }>;

function hostPathOf(path: string, mounts: Mounts): string | undefined {
  const mount = mounts.find((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`));
  return mount && join(mount.hostPath, path.slice(mount.mountPath.length));
}

/** Paths under a mountPath, in `--flag=PATH` arguments, become the volume's host path. */
function mapMountedPaths(args: readonly string[], mounts: Mounts): string[] {
  return args.map((arg) => {
    const match = /^(--[^=]+=)(\/.*)$/.exec(arg);
    const host = match?.[2] && hostPathOf(match[2], mounts);
    return match && host ? `${match[1]}${host}` : arg;
  });
}

/** A CPU limit is a CFS quota: a 7500m limit simulates 7.5 CPUs. */
export const simulatedCpus = (millis: number): number => millis / 1000;

export function tfsSimLauncher(options: TfsSimLauncherOptions): PodLauncher {
  const cli = options.cliPath ?? distPath('cli/main.js');
  return async (launch) => {
    let image;
    try {
      image = await resolveImage(options.imageStore, launch.image);
    } catch (err) {
      throw new ImagePullError(`failed to pull image "${launch.image}": ${errorMessage(err)}`, { cause: err });
    }
    const env = { ...image.env, ...launch.env };
    const modelName = env.MODEL_NAME ?? 'model';
    const basePath = env.MODEL_BASE_PATH ?? '/models';
    const modelsDir = basePath === '/models' ? image.modelsDir : (hostPathOf(basePath, launch.mounts) ?? basePath);
    const ports = new Map([
      [GRPC, await freePort()],
      [REST, await freePort()],
    ]);
    const args = [
      cli,
      'tfs-sim',
      `--port=${ports.get(GRPC)}`,
      `--rest_api_port=${ports.get(REST)}`,
      `--model_name=${modelName}`,
      `--model_base_path=${join(modelsDir, modelName)}`,
      ...(launch.cpuLimitMillis ? [`--cpus=${simulatedCpus(launch.cpuLimitMillis)}`] : []),
      ...mapMountedPaths(launch.args, launch.mounts),
      ...(options.extraArgs ?? []),
    ];
    const log = openSync(launch.logFile, 'a');
    const child = spawn(process.execPath, args, { stdio: ['ignore', log, log], env: { ...process.env, ...env } });
    noteSpawned(child.pid);
    closeSync(log);
    return processContainer(child, ports);
  };
}
