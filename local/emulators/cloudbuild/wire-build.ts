import { status as grpcStatus } from '@grpc/grpc-js';
import { SubstitutionError, substituter } from './substitutions.js';

/**
 * The Build as the emulator keeps and serves it: the object grpc-js serializes (camelCase fields, enums by name,
 * Timestamps as {seconds, nanos}, bytes as Buffers), and how a CreateBuild request becomes one.
 */

export type Wire = Record<string, unknown>;

export interface WireStep extends Wire {
  name: string;
  id: string;
  args: string[];
  env: string[];
  dir: string;
  entrypoint: string;
  secretEnv: string[];
}

export interface WireBuild extends Wire {
  id: string;
  projectId: string;
  status: string;
  steps: WireStep[];
  tags: string[];
  timeout?: { seconds?: string | number } | null;
  availableSecrets?: { secretManager?: Array<{ versionName: string; env: string }> } | null;
  options?: { substitutionOption?: string } | null;
  substitutions?: Record<string, string>;
}

export interface CreateBuildRequest {
  projectId: string;
  parent: string;
  build: WireBuild | null;
}

export const timestamp = (d = new Date()) => ({
  seconds: String(Math.floor(d.getTime() / 1000)),
  nanos: (d.getTime() % 1000) * 1e6,
});

export const invalidArgument = (details: string) => ({ code: grpcStatus.INVALID_ARGUMENT, details });

const TAG = /^[\w][\w.-]{0,127}$/;
const DEFAULT_TIMEOUT_S = 600;

/**
 * Checks a CreateBuild request as Cloud Build does (steps, tags, substitutions) and returns the QUEUED build with its
 * substitutions applied; throws an INVALID_ARGUMENT status otherwise.
 */
export function acceptBuild(request: CreateBuildRequest, id: string, logUrl: string): WireBuild {
  const project = request.projectId || /^projects\/([^/]+)/.exec(request.parent)?.[1];
  if (!project) throw invalidArgument('projectId is required');
  const given = request.build;
  if (!given?.steps?.length) throw invalidArgument('invalid build: a build must have at least one step');
  const badStep = given.steps.findIndex((s) => !s.name);
  if (badStep !== -1) throw invalidArgument(`invalid build: step ${badStep} has no name`);
  const ids = given.steps.map((s) => s.id);
  for (const [index, step] of given.steps.entries()) {
    const unknown = ((step.waitFor as string[] | undefined) ?? []).find(
      (w) => w !== '-' && !ids.slice(0, index).includes(w),
    );
    if (unknown !== undefined) {
      throw invalidArgument(
        `invalid build: build step ${index} depends on step "${unknown}", which is not a previous step`,
      );
    }
  }
  const badTag = given.tags.find((t) => !TAG.test(t));
  if (badTag !== undefined) throw invalidArgument(`invalid build tag "${badTag}": must match ${TAG.source}`);
  const option = given.options?.substitutionOption === 'ALLOW_LOOSE' ? 'ALLOW_LOOSE' : 'MUST_MATCH';
  const builtIns = { PROJECT_ID: project, BUILD_ID: id, PROJECT_NUMBER: '0', LOCATION: 'global' };
  try {
    const sub = substituter(given.substitutions ?? {}, builtIns, option);
    const steps = given.steps.map((s) => ({
      ...s,
      name: sub.apply(s.name),
      args: s.args.map(sub.apply),
      env: s.env.map(sub.apply),
      dir: sub.apply(s.dir),
      entrypoint: sub.apply(s.entrypoint),
      status: 'QUEUED',
    }));
    const secretManager = (given.availableSecrets?.secretManager ?? []).map((s) => ({
      ...s,
      versionName: sub.apply(s.versionName),
    }));
    sub.checkAllUsed();
    return {
      ...given,
      id,
      projectId: project,
      name: `projects/${project}/locations/global/builds/${id}`,
      status: 'QUEUED',
      steps,
      availableSecrets: { secretManager },
      createTime: timestamp(),
      timeout: { seconds: String(Number(given.timeout?.seconds ?? 0) || DEFAULT_TIMEOUT_S) },
      logUrl,
    };
  } catch (err) {
    if (err instanceof SubstitutionError) throw invalidArgument(err.message);
    throw err;
  }
}

/** ListBuilds' filter, the part the pipeline uses: `tags`, `status` and `id` equalities joined by AND. */
export function buildFilter(filter: string): (build: WireBuild) => boolean {
  const tests = (filter.trim() ? filter.split(/\s+AND\s+/i) : []).map((clause) => {
    const m = /^(tags|status|id)\s*=\s*"?([^"]*)"?$/.exec(clause.trim());
    if (!m) throw invalidArgument(`filter "${filter}" is not supported by the emulator (tags, status, id; AND)`);
    const [, field, value] = m as unknown as [string, 'tags' | 'status' | 'id', string];
    return (b: WireBuild) => (field === 'tags' ? b.tags.includes(value) : b[field] === value);
  });
  return (build) => tests.every((t) => t(build));
}
