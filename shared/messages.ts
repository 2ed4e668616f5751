import { z } from 'zod';
import { MessageError } from './errors.js';
import { TOPICS, type TopicName } from './topics.js';

/**
 * The pipeline's messages: one versioned schema each. A message names its own type and version, so a consumer can
 * tell an old producer's message from a malformed one. A breaking change adds a new version beside the old one.
 */

const runId = z.string().regex(/^[a-z0-9][a-z0-9-]{5,62}$/, 'a run id: lower-case letters, digits and dashes');
const repository = z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'owner/name');
const scenario = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a scenario name such as 2n-8c-16r-interop4');
/** Images are deployed by digest, never by a movable tag. */
export const imageByDigest = z
  .string()
  .regex(/^[^\s@]+@sha256:[a-f0-9]{64}$/, 'an image by digest: REGISTRY/PATH@sha256:<64 hex digits>');
const isoTime = z.iso.datetime({ offset: true });
/**
 * Which side of a comparison a deployment is: the release's own image (`release`), or the image serving now,
 * deployed with the same scenario and measured at the same time (`baseline`). Absent means `release`.
 */
export const ARMS = ['release', 'baseline'] as const;
export type Arm = (typeof ARMS)[number];
const arm = z.enum(ARMS).optional();

export const ModelReleased = z.object({
  type: z.literal('ModelReleased'),
  version: z.literal(1),
  runId,
  repository,
  release: z.object({
    id: z.number().int().positive(),
    tag: z.string().min(1),
    name: z.string().nullable(),
    htmlUrl: z.url(),
    prerelease: z.boolean(),
  }),
  asset: z.object({
    id: z.number().int().positive(),
    name: z.string().min(1),
    /** The API URL of the asset (`Accept: application/octet-stream` downloads it, private repositories too). */
    url: z.url(),
    browserDownloadUrl: z.url(),
    size: z.number().int().nonnegative(),
  }),
  deliveryId: z.string().min(1),
  receivedAt: isoTime,
});

/**
 * Bounds of a load test a message may ask for: what a Cloud Run task can generate and a run should take. A profile
 * beyond them is refused with the bound named, rather than run for days or at a rate no task can reach.
 */
export const PROFILE_BOUNDS = {
  durationS: 86_400,
  users: 10_000,
  spawnRate: 10_000,
  thinkTimeMs: 60_000,
  rate: 100_000,
  probeS: 3_600,
} as const;

const atMost = (max: number, what: string) => ({ message: `${what} must be at most ${max}` });

export const LoadProfile = z.object({
  users: z.number().int().positive().max(PROFILE_BOUNDS.users, atMost(PROFILE_BOUNDS.users, 'users')).optional(),
  spawnRate: z
    .number()
    .positive()
    .max(PROFILE_BOUNDS.spawnRate, atMost(PROFILE_BOUNDS.spawnRate, 'users started per second'))
    .optional(),
  thinkTimeMs: z
    .number()
    .int()
    .nonnegative()
    .max(PROFILE_BOUNDS.thinkTimeMs, atMost(PROFILE_BOUNDS.thinkTimeMs, 'think time (ms)'))
    .optional(),
  rate: z.number().positive().max(PROFILE_BOUNDS.rate, atMost(PROFILE_BOUNDS.rate, 'requests per second')).optional(),
  durationS: z
    .number()
    .int()
    .positive()
    .max(PROFILE_BOUNDS.durationS, atMost(PROFILE_BOUNDS.durationS, 'the duration (s), a day,')),
  thresholds: z.array(z.string().max(200)).max(20).default([]),
  /** Bytes of one request: with the rate, how many Cloud Run tasks the test needs (the seed's when absent). */
  requestBytes: z
    .number()
    .int()
    .positive()
    .max(1 << 30)
    .optional(),
  /** At most this many Cloud Run tasks (LOAD_TEST_MAX_TASKS; the local stack's one machine: 1). */
  maxTasks: z.number().int().min(1).max(100).optional(),
  /** A capacity search (`modelship loadtest --find-capacity`) instead of the fixed load above. */
  capacity: z
    .object({
      p99BoundMs: z.number().positive().max(60_000),
      errorsBound: z.number().min(0).max(1),
      startRps: z.number().positive().max(PROFILE_BOUNDS.rate, atMost(PROFILE_BOUNDS.rate, 'requests per second')),
      probeS: z.number().int().positive().max(PROFILE_BOUNDS.probeS, atMost(PROFILE_BOUNDS.probeS, 'a probe (s)')),
    })
    .optional(),
});

export const DeployRequested = z.object({
  type: z.literal('DeployRequested'),
  version: z.literal(1),
  runId,
  scenario,
  image: imageByDigest,
  arm,
  /**
   * Who asked: the pipeline (a candidate of a run), or a redeploy (`modelship redeploy`, or the message published by
   * hand): a redeploy of a run not open yet opens it, with its candidates.
   */
  requestedBy: z.enum(['pipeline', 'redeploy']),
  /** A redeploy that opens its run: every scenario to measure (absent: `scenario` alone), e.g. `modelship sweep`. */
  candidates: z.array(scenario).min(1).max(50).optional(),
  /** The load test to run once deployed; absent: the deployer's configured profile (LOAD_TEST_*). */
  profile: LoadProfile.optional(),
  /** Set when a rollout outlived one invocation and continues in a follow-up message. */
  rollout: z.object({ startedAt: isoTime, attempt: z.number().int().positive() }).optional(),
});

export const LoadTestRequested = z.object({
  type: z.literal('LoadTestRequested'),
  version: z.literal(1),
  runId,
  scenario,
  arm,
  image: imageByDigest,
  /** gRPC target the load test drives: `host:port` or `dns:///name:port`; never anything the job could read as a flag. */
  target: z
    .string()
    .regex(
      /^(dns:\/\/\/)?([A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/,
      'host:port or dns:///host:port (the endpoint the deploy recorded)',
    ),
  modelName: z.string().min(1),
  profile: LoadProfile,
});

export const LoadTestSummary = z.object({
  requests: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative(),
  rps: z.number().nonnegative(),
  p50Ms: z.number().nonnegative(),
  p95Ms: z.number().nonnegative(),
  p99Ms: z.number().nonnegative(),
  thresholdsPassed: z.boolean(),
  failedThresholds: z.array(z.string()).default([]),
  /** A capacity search's result: the most req/s held within the bounds (null: none), and what ended the search. */
  capacity: z
    .object({
      rps: z.number().nonnegative().nullable(),
      p99BoundMs: z.number().positive(),
      errorsBound: z.number().min(0).max(1),
      limit: z.enum(['server', 'generator', 'probes', 'stopped']),
      verdict: z.string(),
    })
    .optional(),
});

export const LoadTestFinished = z.object({
  type: z.literal('LoadTestFinished'),
  version: z.literal(1),
  runId,
  scenario,
  arm,
  image: imageByDigest,
  summary: LoadTestSummary,
  reportUrl: z.string().min(1),
});

export const PIPELINE_STAGES = ['webhook', 'bake', 'deploy', 'load-test', 'promote', 'report'] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

export const PipelineFailed = z.object({
  type: z.literal('PipelineFailed'),
  version: z.literal(1),
  runId,
  stage: z.enum(PIPELINE_STAGES),
  reason: z.string().min(1),
  scenario: scenario.optional(),
  arm,
  /** Where to read more: a build log, a report. */
  detailsUrl: z.string().optional(),
});

/**
 * The measurement of a run is over: its candidates are torn down and, with a scenario, that candidate's image is
 * applied to the serving deployment with that scenario. Sent by reportResults once the gate has judged every
 * candidate, or by a person (`modelship promote RUN_ID --scenario S`) for a run that has ended.
 */
export const PromoteRequested = z.object({
  type: z.literal('PromoteRequested'),
  version: z.literal(1),
  runId,
  /** The candidate to serve; null: none (the gate refused them all, or PROMOTION is manual or off). */
  scenario: scenario.nullable(),
  image: imageByDigest.optional(),
  requestedBy: z.enum(['pipeline', 'operator']),
  /** Why this scenario, or why none. */
  reason: z.string().min(1),
  rollout: z.object({ startedAt: isoTime, attempt: z.number().int().positive() }).optional(),
});

/** The serving deployment now runs the promoted candidate (or nothing was to be promoted): the run can end. */
export const PromotionFinished = z.object({
  type: z.literal('PromotionFinished'),
  version: z.literal(1),
  runId,
  scenario: scenario.nullable(),
  image: imageByDigest.optional(),
  requestedBy: z.enum(['pipeline', 'operator']),
  // failed: only a person's promotion (of a run that has ended) says so here; the pipeline's fails its run.
  outcome: z.enum(['promoted', 'none', 'failed']),
  reason: z.string().min(1),
});

/** Cloud Scheduler's tick for watchRuns (its message body, set by `modelship gcp apply`). */
export const WatchRuns = z.object({ type: z.literal('WatchRuns'), version: z.literal(1) });

export type ModelReleased = z.infer<typeof ModelReleased>;
export type WatchRuns = z.infer<typeof WatchRuns>;
export type DeployRequested = z.infer<typeof DeployRequested>;
export type LoadTestRequested = z.infer<typeof LoadTestRequested>;
export type LoadTestFinished = z.infer<typeof LoadTestFinished>;
export type PipelineFailed = z.infer<typeof PipelineFailed>;
export type PromoteRequested = z.infer<typeof PromoteRequested>;
export type PromotionFinished = z.infer<typeof PromotionFinished>;
export type LoadTestSummary = z.infer<typeof LoadTestSummary>;
export type LoadProfile = z.infer<typeof LoadProfile>;
export type PipelineMessage =
  | ModelReleased
  | DeployRequested
  | LoadTestRequested
  | LoadTestFinished
  | PipelineFailed
  | PromoteRequested
  | PromotionFinished;

/** What reportResults consumes: the end of a run, either way. */
export const RunOutcome = z.discriminatedUnion('type', [LoadTestFinished, PipelineFailed, PromotionFinished]);
export type RunOutcome = z.infer<typeof RunOutcome>;

/** What deployScenario consumes: a candidate to roll out, or the promotion that ends a run's measurement. */
export const DeployOrPromote = z.discriminatedUnion('type', [DeployRequested, PromoteRequested]);
export type DeployOrPromote = z.infer<typeof DeployOrPromote>;

/** Which topic carries which message. */
export const MESSAGE_TOPICS = {
  ModelReleased: TOPICS.modelReleased,
  DeployRequested: TOPICS.deployRequested,
  LoadTestRequested: TOPICS.loadTestRequested,
  LoadTestFinished: TOPICS.loadTestFinished,
  PipelineFailed: TOPICS.pipelineFailed,
  PromoteRequested: TOPICS.promoteRequested,
  PromotionFinished: TOPICS.promotionFinished,
} as const satisfies Record<PipelineMessage['type'], TopicName>;

export type MessageSchema<T> = z.ZodType<T>;

/** Parses a decoded JSON value into a message, or throws a MessageError saying every field that is wrong. */
export function parseMessage<T>(schema: MessageSchema<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new MessageError(`${what} is not a valid message: ${problems.join('; ')}`);
}
