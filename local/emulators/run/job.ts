/**
 * A Cloud Run job as the emulator knows it, and RunJob's overrides applied to it as Cloud Run applies them:
 * override args replace the container's args (clearArgs empties them), override env is added to the job's env,
 * taskCount and timeout replace the job's.
 */

/** What every job has, as a Cloud Run job's template: containers[0].args and env, taskCount, timeout. */
interface JobTemplate {
  args?: string[];
  env?: Record<string, string>;
  /** Tasks an execution runs, all in parallel; default 1. */
  taskCount?: number;
  /** Seconds a task may run; default Cloud Run's 600. maxRetries is always 0: a failed task fails the execution. */
  timeoutS?: number;
}

/** A job whose container is an image in the local registry (by digest), each task run with podman. */
export interface ImageJob extends JobTemplate {
  image: string;
  /** Cloud Run's resources.limits: cpu '2' or '500m', memory '512Mi' or '2Gi'. */
  limits?: { cpu?: string; memory?: string };
  /**
   * Volumes, as Cloud Run mounts a Cloud Storage bucket (`--add-volume type=cloud-storage`): a host directory at a
   * path of the container, writable by the container's user (podman's `U` option gives the directory to it).
   */
  mounts?: Array<{ hostPath: string; mountPath: string }>;
}

/** A job whose tasks are host processes running `command` (the image's entrypoint), for machines without podman. */
export interface CommandJob extends JobTemplate {
  command: string[];
}

export type EmulatedJob = ImageJob | CommandJob;

export interface EnvVar {
  name: string;
  value?: string;
}

export interface RunJobOverrides {
  containerOverrides?: Array<{ name?: string; args?: string[]; env?: EnvVar[]; clearArgs?: boolean }>;
  taskCount?: number;
  timeout?: { seconds?: string } | null;
}

/** One execution's tasks: what each runs and for how long. */
export interface JobRun {
  args: string[];
  /** The job's env with the overrides' added, without Cloud Run's own variables. */
  env: Record<string, string>;
  taskCount: number;
  timeoutS: number;
}

const DEFAULT_TIMEOUT_S = 600;

export function applyOverrides(job: EmulatedJob, overrides: RunJobOverrides | null | undefined): JobRun {
  const container = overrides?.containerOverrides?.[0];
  const args = container?.args?.length ? container.args : container?.clearArgs ? [] : (job.args ?? []);
  const env = { ...job.env, ...Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? ''])) };
  const timeoutS = Number(overrides?.timeout?.seconds ?? 0) || job.timeoutS || DEFAULT_TIMEOUT_S;
  return { args, env, taskCount: overrides?.taskCount || job.taskCount || 1, timeoutS };
}
