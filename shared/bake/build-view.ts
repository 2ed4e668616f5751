import { z } from 'zod';
import { imageByDigest, parseMessage, type MessageSchema } from '../messages.js';
import { MODELSHIP_TAG } from './build-request.js';

/**
 * A Cloud Build Build as the pipeline reads it, from any of its three shapes: a `cloud-builds` notification (JSON,
 * enums as names, bytes in base64), a gRPC answer (enums as names, bytes as Buffers) and an operation's decoded
 * metadata (enums as numbers).
 */

export const BUILD_STATUSES = {
  STATUS_UNKNOWN: 0,
  PENDING: 10,
  QUEUED: 1,
  WORKING: 2,
  SUCCESS: 3,
  FAILURE: 4,
  INTERNAL_ERROR: 5,
  TIMEOUT: 6,
  CANCELLED: 7,
  EXPIRED: 9,
} as const;

export type BuildStatus = keyof typeof BUILD_STATUSES;

export const FAILED_STATUSES: readonly BuildStatus[] = ['FAILURE', 'INTERNAL_ERROR', 'TIMEOUT', 'CANCELLED', 'EXPIRED'];
export const isFinal = (status: BuildStatus): boolean => status === 'SUCCESS' || FAILED_STATUSES.includes(status);

const BY_NUMBER = new Map(Object.entries(BUILD_STATUSES).map(([name, n]) => [n, name as BuildStatus]));
const status = z
  .union([z.string(), z.number()])
  .transform((s): BuildStatus =>
    typeof s === 'number'
      ? (BY_NUMBER.get(s as never) ?? 'STATUS_UNKNOWN')
      : s in BUILD_STATUSES
        ? (s as BuildStatus)
        : 'STATUS_UNKNOWN',
  );
const text = z
  .union([z.string(), z.instanceof(Uint8Array)])
  .transform((b) => (typeof b === 'string' ? Buffer.from(b, 'base64') : Buffer.from(b)).toString('utf8'));

const RawBuild = z.object({
  id: z.string().min(1),
  status: status.nullish(),
  tags: z.array(z.string()).nullish(),
  logUrl: z.string().nullish(),
  statusDetail: z.string().nullish(),
  failureInfo: z.object({ detail: z.string().nullish() }).nullish(),
  results: z.object({ buildStepOutputs: z.array(text).nullish() }).nullish(),
  steps: z
    .array(z.object({ id: z.string().nullish(), name: z.string().nullish(), status: status.nullish() }))
    .nullish(),
});

export interface BuildView {
  id: string;
  status: BuildStatus;
  tags: string[];
  logUrl: string;
  /** What each step wrote to $BUILDER_OUTPUT/output, decoded as UTF-8 ('' for steps that wrote nothing). */
  stepOutputs: string[];
  steps: Array<{ id: string; status: BuildStatus }>;
  /** Cloud Build's own explanation of a failure. */
  failureDetail: string;
}

/** A Build in any of its shapes, read into a BuildView (also the schema of a `cloud-builds` notification). */
export const BuildSchema: MessageSchema<BuildView> = RawBuild.transform((b) => ({
  id: b.id,
  status: b.status ?? 'STATUS_UNKNOWN',
  tags: b.tags ?? [],
  logUrl: b.logUrl ?? '',
  stepOutputs: b.results?.buildStepOutputs ?? [],
  steps: (b.steps ?? []).map((s, i) => ({ id: s.id || s.name || `#${i}`, status: s.status ?? 'STATUS_UNKNOWN' })),
  failureDetail: b.failureInfo?.detail || b.statusDetail || '',
}));

export const parseBuild = (raw: unknown, what: string): BuildView => parseMessage(BuildSchema, raw, what);

export const isModelshipBuild = (build: BuildView): boolean => build.tags.includes(MODELSHIP_TAG);

/** The run a build bakes for, from its `run-<runId>` tag. */
export function runIdOf(build: BuildView): string | undefined {
  return build.tags.find((t) => t.startsWith('run-'))?.slice('run-'.length);
}

/** The image the push step recorded, by digest. */
export function imageOf(build: BuildView): string | undefined {
  return build.stepOutputs.map((o) => o.trim()).find((o) => imageByDigest.safeParse(o).success);
}

/** What a failed step of bake-model.yaml means, for a person reading the reason. */
const STEP_MEANING: Record<string, string> = {
  fetch: 'the release asset could not be downloaded, is over the size cap, or is not a release asset of the repository',
  extract: 'the release tarball is unsafe, corrupt, not a tarball, or over the caps',
  layout: 'the release holds no servable SavedModel',
  push: 'the image could not be pushed to the registry',
  'smoke-start': 'the baked image could not be started',
  'smoke-check': 'the baked image did not answer a Predict',
};

const STATUS_WORDS: Partial<Record<BuildStatus, string>> = {
  TIMEOUT: 'timed out',
  CANCELLED: 'was cancelled',
  EXPIRED: 'expired before it started',
  INTERNAL_ERROR: 'hit a Cloud Build internal error',
};

/** A failed step's own reason is cut to this many characters on the run (the build log keeps it whole). */
const STEP_REASON_CHARS = 1000;

/**
 * One line saying why a build failed: where, and the failed step's own reason when it wrote one to
 * $BUILDER_OUTPUT/output (`modelship bake` does: "the release holds no saved_model.pb (its top level: …)"); otherwise
 * what that step does and Cloud Build's own detail.
 */
export function failureReason(build: BuildView): string {
  const index = build.steps.findIndex((s) => FAILED_STATUSES.includes(s.status));
  const step = build.steps[index];
  const where = step ? ` in step ${step.id}` : '';
  const own = step ? oneLine(build.stepOutputs[index] ?? '') : '';
  if (own) return `build ${build.id} ${STATUS_WORDS[build.status] ?? 'failed'}${where}: ${own}`;
  const meaning = step && STEP_MEANING[step.id] ? ` (${STEP_MEANING[step.id]})` : '';
  const detail = build.failureDetail ? `: ${build.failureDetail}` : '';
  return `build ${build.id} ${STATUS_WORDS[build.status] ?? 'failed'}${where}${meaning}${detail}`;
}

const oneLine = (text: string) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > STEP_REASON_CHARS ? `${line.slice(0, STEP_REASON_CHARS - 1)}…` : line;
};
