import { z } from 'zod';
import { ENTRY_POINTS } from '../../shared/wiring.js';

/**
 * The deploy configuration (`modelship.config.yaml`): the few facts only the person deploying knows (project,
 * region, cluster, repositories, bucket, ...). Everything else (topics, service accounts, roles, function
 * settings) follows from it in the plan. Every object is strict, so a misspelt field is an error, not a silent
 * default.
 */

/** The CPU-optimised TF Serving image the seed project baked its model on. */
export const SEED_BASE_IMAGE = 'gcr.io/gcp-ml-172005/tfs-resnet-cpu-opt';

/** The bake's push step image, GCRANE_IMAGE's default: `:debug` has the shell the step's script needs. */
export const GCRANE_IMAGE = 'gcr.io/go-containerregistry/gcrane:debug';

const id = (pattern: RegExp, allowed: string) => z.string().regex(pattern, `must be ${allowed}`);

const projectId = id(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a project id: 6-30 lowercase letters, digits, hyphens');
const region = id(/^[a-z]+-[a-z]+\d+$/, 'a region such as us-central1 (not a zone)');
const regionOrZone = id(/^[a-z]+-[a-z]+\d+(-[a-z])?$/, 'a region (us-central1) or a zone (us-central1-a)');
const resourceId = id(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, 'lowercase letters, digits and hyphens, from a letter');
const secretId = id(/^[A-Za-z0-9_-]{1,255}$/, 'a Secret Manager id: letters, digits, - and _');
const repository = id(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'owner/name');
const scenarioName = id(/^[a-z0-9][a-z0-9-]*$/, 'a scenario name (a file scenarios/NAME.yaml)');
const duration = id(/^\d+s$/, 'a number of seconds such as 3600s');
const email = z.email('must be a service account email');

/** Plain environment variables only: a secret goes through Secret Manager, never into a deploy command. */
const envName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name (A-Z, 0-9, _)')
  .refine((k) => !/SECRET|TOKEN|PASSWORD|CREDENTIAL|PRIVATE_KEY/.test(k), {
    message: 'looks like a secret: store it in Secret Manager, never as a plain environment variable',
  });
const envVars = z.record(envName, z.string()).default({});

export const GcpConfigSchema = z.strictObject({
  project: projectId,
  region,
  github: z.strictObject({
    /** Repositories whose releases are deployed (ALLOWED_REPOSITORIES). */
    repositories: z.array(repository).min(1, 'must list at least one owner/name'),
    modelAsset: z.string().min(1).default('saved_model.tar.gz'),
    webhookSecret: secretId.default('modelship-webhook-secret'),
    /**
     * A GitHub token that reads private release assets and writes results on releases; its value is added by
     * hand. Without it, only public repositories bake and results stay in the run record.
     */
    tokenSecret: secretId.optional(),
    apiUrl: z.url({ protocol: /^https$/ }).optional(),
    serverUrl: z.url({ protocol: /^https$/ }).optional(),
  }),
  model: z
    .strictObject({
      name: id(/^[A-Za-z0-9_-]+$/, 'a TF Serving model name (letters, digits, - and _)').default('resnet'),
      baseImage: z.string().min(1).default(SEED_BASE_IMAGE),
      /** By tag, apply pins it to the digest it finds; by digest, it is used as is. */
      gcraneImage: z.string().min(1).default(GCRANE_IMAGE),
    })
    .default({ name: 'resnet', baseImage: SEED_BASE_IMAGE, gcraneImage: GCRANE_IMAGE }),
  scenarios: z.array(scenarioName).min(1).default(['2n-8c-16r-interop4']),
  cluster: z.strictObject({
    name: resourceId,
    location: regionOrZone,
    /** The cluster's project when it is not `project`. */
    project: projectId.optional(),
    namespace: resourceId.default('default'),
    /** The nodes' service account, granted pull on the model images; default: the one apply reads from the cluster. */
    nodeServiceAccount: email.optional(),
  }),
  network: z
    .strictObject({ name: resourceId.default('default'), subnet: resourceId.default('default') })
    .default({ name: 'default', subnet: 'default' }),
  registry: z
    .strictObject({ models: resourceId.default('modelship-models'), pipeline: resourceId.default('modelship') })
    .default({ models: 'modelship-models', pipeline: 'modelship' }),
  bucket: id(/^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$/, 'a bucket name: 3-63 lowercase letters, digits, - _ .').refine(
    (b) => !b.startsWith('goog'),
    'must not start with "goog"',
  ),
  firestore: z.strictObject({ location: z.string().min(1).optional() }).default({}),
  functions: z
    .strictObject({
      runtime: z.enum(['nodejs20', 'nodejs22']).default('nodejs22'),
      /** Extra environment variables per entry point, for settings this file has no field for. */
      env: z.partialRecord(z.enum(ENTRY_POINTS), envVars).default({}),
    })
    .default({ runtime: 'nodejs22', env: {} }),
  loadTest: z
    .strictObject({
      job: resourceId.default('modelship-loadtest'),
      cpu: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]).default(4),
      memory: id(/^\d+(Mi|Gi)$/, 'a size such as 4Gi or 512Mi').default('4Gi'),
      timeout: duration.default('3600s'),
      /**
       * Images already pushed to Artifact Registry (cloudbuild/load-tester.yaml builds both), given together: the
       * load-test job's and the bake steps' tool image. When absent, apply builds them.
       */
      image: z.string().min(1).optional(),
      toolImage: z.string().min(1).optional(),
      env: envVars,
    })
    .superRefine((l, ctx) => {
      const missing = l.image && !l.toolImage ? 'toolImage' : !l.image && l.toolImage ? 'image' : undefined;
      const other = missing === 'image' ? 'toolImage' : 'image';
      if (missing)
        ctx.addIssue({ code: 'custom', path: [missing], input: undefined, message: `required with loadTest.${other}` });
    })
    .default({ job: 'modelship-loadtest', cpu: 4, memory: '4Gi', timeout: '3600s', env: {} }),
});

export type GcpConfig = z.output<typeof GcpConfigSchema>;
