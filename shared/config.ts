import { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * Configuration from environment variables. Every variable is one row of SETTINGS (its doc, its parser, its
 * default); each function asks only for the rows it uses, and start-up fails with one ConfigError that lists
 * every problem at once, each with the variable to set. The README's configuration table is this table.
 */

const nonEmpty = z.string().trim().min(1, 'must not be empty');
const list = (item: z.ZodType<string, string>) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).min(1, 'must list at least one value'));
const bool = z.enum(['true', 'false', '1', '0']).transform((s) => s === 'true' || s === '1');
const positiveInt = z
  .string()
  .regex(/^\d+$/, 'must be a whole number')
  .transform(Number)
  .pipe(z.number().int().positive());
/** A share from 0 to 1, such as 0.05. */
const fraction = z
  .string()
  .regex(/^(0|1|0?\.\d+|1\.0*)$/, 'must be a number from 0 to 1, such as 0.05')
  .transform(Number);

interface Setting<T> {
  doc: string;
  schema: z.ZodType<T, string>;
  /** Absent means required. */
  default?: string;
  secret?: boolean;
}

const setting = <T>(s: Setting<T>): Setting<T> => s;

export const SETTINGS = {
  GOOGLE_CLOUD_PROJECT: setting({ doc: 'Google Cloud project id.', schema: nonEmpty }),
  GITHUB_WEBHOOK_SECRET: setting({
    doc: 'Secret of the GitHub webhook (mount it from Secret Manager with --set-secrets).',
    schema: z.string().min(16, 'must be at least 16 characters (generate one with `openssl rand -hex 32`)'),
    secret: true,
  }),
  GITHUB_WEBHOOK_SECRET_PREVIOUS: setting({
    doc: 'The previous webhook secret, still accepted while a rotation is under way.',
    schema: z.string(),
    default: '',
    secret: true,
  }),
  ALLOWED_REPOSITORIES: setting({
    doc: 'Repositories whose releases are deployed, `owner/name` or `owner/*` (all of an owner), comma separated.',
    schema: list(
      z.string().regex(/^[A-Za-z0-9_.-]+\/([A-Za-z0-9_.-]+|\*)$/, 'each entry must be owner/name or owner/*'),
    ),
  }),
  MODEL_ASSET_NAME: setting({
    doc: 'Name of the release asset holding the SavedModel; `*` and `?` globs allowed.',
    schema: nonEmpty,
    default: 'saved_model.tar.gz',
  }),
  ACCEPT_PRERELEASES: setting({ doc: 'Deploy prereleases too.', schema: bool, default: 'false' }),
  ACCEPT_DRAFTS: setting({ doc: 'Deploy draft releases too.', schema: bool, default: 'false' }),
  GITHUB_API_URL: setting({
    doc: 'GitHub REST API base URL (GitHub Enterprise: https://HOST/api/v3). Asset URLs must live under it.',
    schema: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
    default: 'https://api.github.com',
  }),
  GITHUB_SERVER_URL: setting({
    doc: 'GitHub web base URL. Asset download URLs must live under it.',
    schema: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
    default: 'https://github.com',
  }),
  GITHUB_TOKEN: setting({
    doc: 'Token that may write releases (contents: write), to put results on the release; empty: results go only to the run record.',
    schema: z.string(),
    default: '',
    secret: true,
  }),
  STAGE_GRACE_S: setting({
    doc: "How long past its own bound a stage may run before watchRuns fails the run: the room for Pub/Sub's redeliveries (backoff up to 600 s) after a crash.",
    schema: positiveInt,
    default: '600',
  }),
  LOAD_TEST_JOB: setting({
    doc: 'The Cloud Run job that runs load tests, `projects/P/locations/L/jobs/J`.',
    schema: z
      .string()
      .regex(/^projects\/[^/]+\/locations\/[^/]+\/jobs\/[^/]+$/, 'must be projects/P/locations/L/jobs/J'),
  }),
  CLOUD_RUN_EMULATOR_HOST: setting({
    doc: 'Local stack only: host:port of the Cloud Run emulator (empty in Google Cloud).',
    schema: z.string(),
    default: '',
  }),
  GKE_CLUSTER: setting({
    doc: 'The cluster to deploy to, `projects/P/locations/L/clusters/C` (or set KUBECONFIG for any other cluster).',
    schema: z
      .string()
      .regex(/^(projects\/[^/]+\/locations\/[^/]+\/clusters\/[^/]+)?$/, 'must be projects/P/locations/L/clusters/C'),
    default: '',
  }),
  KUBECONFIG: setting({
    doc: 'A kubeconfig file to deploy with instead of GKE_CLUSTER (kind, minikube, the local stack).',
    schema: z.string(),
    default: '',
  }),
  K8S_NAMESPACE: setting({
    doc: 'Namespace of the TF Serving deployment.',
    schema: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes namespace name'),
    default: 'default',
  }),
  DEPLOY_BUDGET_S: setting({
    doc: 'How long one deployScenario invocation waits for the rollout before continuing in a follow-up message (keep it well under the 540 s function timeout).',
    schema: positiveInt,
    default: '240',
  }),
  DEPLOY_MAX_FOLLOW_UPS: setting({
    doc: 'Follow-up messages a slow rollout may take before it is declared failed and rolled back.',
    schema: positiveInt,
    default: '4',
  }),
  DEPLOY_REPLICAS: setting({
    doc: "Overrides every scenario's replicas (a small cluster or the local stack); empty keeps the scenario's.",
    schema: z.string().regex(/^\d*$/, 'must be a whole number or empty'),
    default: '',
  }),
  DEPLOY_NODE_SELECTOR: setting({
    doc: "Pin pods to the scenario's GKE node pool; false for kind, minikube and other clusters.",
    schema: bool,
    default: 'true',
  }),
  LOAD_TEST_USERS: setting({
    doc: "Load test users (closed model, the seed's 150).",
    schema: positiveInt,
    default: '150',
  }),
  LOAD_TEST_SPAWN_RATE: setting({ doc: 'Users started per second.', schema: positiveInt, default: '1' }),
  LOAD_TEST_THINK_TIME_MS: setting({
    doc: 'Wait of each user after each reply, ms.',
    schema: z.string().regex(/^\d+$/, 'must be a whole number').transform(Number),
    default: '1000',
  }),
  LOAD_TEST_DURATION_S: setting({ doc: 'Load test duration, seconds.', schema: positiveInt, default: '300' }),
  LOAD_TEST_THRESHOLDS: setting({
    doc: 'Pass/fail thresholds, comma separated (`p99<500ms,errors<1%,rps>100`).',
    schema: z.string().transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
    default: 'errors<1%',
  }),
  LOAD_TEST_REQUEST_BYTES: setting({
    doc: "Bytes of one Predict request (the seed's [1,224,224,3] float32: 602186): how many Cloud Run tasks a load test needs (docs/loadtest.md).",
    schema: positiveInt,
    default: '602186',
  }),
  LOAD_TEST_MAX_TASKS: setting({
    doc: 'At most this many parallel Cloud Run tasks for one load test (1–100; docs/loadtest.md says how many a load needs). The local stack uses 1: its tasks would share one machine.',
    schema: positiveInt.refine((n) => n <= 100, 'at most 100'),
    default: '100',
  }),
  LOAD_TEST_MODE: setting({
    doc: 'fixed: the load above (users, think time, duration); capacity: search the most requests/s held with p99 under LOAD_TEST_P99_BOUND_MS (`modelship loadtest --find-capacity`).',
    schema: z.enum(['fixed', 'capacity']),
    default: 'fixed',
  }),
  LOAD_TEST_P99_BOUND_MS: setting({
    doc: 'Capacity mode: the p99 a probe must hold, ms.',
    schema: positiveInt,
    default: '500',
  }),
  LOAD_TEST_ERRORS_BOUND: setting({
    doc: 'Capacity mode: the share of failed requests a probe may have (`1%` or `0.01`).',
    schema: z
      .string()
      .regex(/^(\d+(\.\d+)?%|0(\.\d+)?|1)$/, 'must be a ratio such as 1% or 0.01')
      .transform((s) => (s.endsWith('%') ? Number(s.slice(0, -1)) / 100 : Number(s)))
      .pipe(z.number().max(1, 'must be at most 100%')),
    default: '1%',
  }),
  LOAD_TEST_START_RPS: setting({
    doc: "Capacity mode: the first probe's requests/s.",
    schema: positiveInt,
    default: '10',
  }),
  LOAD_TEST_PROBE_S: setting({
    doc: 'Capacity mode: the length of each probe, seconds (its first fifth is warmup); at most 8 probes.',
    schema: positiveInt,
    default: '60',
  }),
  REPORT_BUCKET: setting({
    doc: 'Where load-test reports go: `gs://BUCKET[/PATH]`, or `file:///DIR` locally.',
    schema: z
      .string()
      .regex(/^(gs:\/\/[a-z0-9][a-z0-9._-]{1,220}(\/.*)?|file:\/\/\/.+)$/, 'must be gs://BUCKET[/PATH] or file:///DIR'),
  }),
  BAKE_SERVICE_ACCOUNT: setting({
    doc: "The service account bake builds run as, `projects/P/serviceAccounts/EMAIL`; empty: Cloud Build's default.",
    schema: z
      .string()
      .regex(/^(projects\/[^/]+\/serviceAccounts\/[^/]+@[^/]+)?$/, 'must be projects/P/serviceAccounts/EMAIL'),
    default: '',
  }),
  SCENARIOS_DIR: setting({
    doc: "A directory of scenario files to use instead of modelship's scenarios/.",
    schema: z.string(),
    default: '',
  }),
  MAX_WEBHOOK_BYTES: setting({
    doc: 'Largest webhook body accepted; a larger one is refused while it is read.',
    schema: positiveInt,
    default: '1048576',
  }),
  MODELSHIP_IMAGE: setting({
    doc: 'The modelship tool image (the root Dockerfile, target `modelship`, run as root; built by cloudbuild/load-tester.yaml): the bake steps run its `modelship bake` command.',
    schema: nonEmpty,
  }),
  TARGET_IMAGE_REPOSITORY: setting({
    doc: 'Where baked images are pushed, without a tag: `REGION-docker.pkg.dev/PROJECT/REPO/NAME`. Each is tagged with its release tag and deployed by digest.',
    schema: z
      .string()
      .regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+$/, 'must be REGISTRY/PATH in lower case, without a tag or digest'),
  }),
  BASE_IMAGE: setting({
    doc: "TF Serving image the model is baked into (any TF Serving image works; pin it by digest). The default is the seed's CPU-optimised build.",
    schema: nonEmpty,
    default: 'gcr.io/gcp-ml-172005/tfs-resnet-cpu-opt',
  }),
  GCRANE_IMAGE: setting({
    doc: "The gcrane image of the bake's push step (crane with Google credentials); in Google Cloud `gcp apply` pins it by digest.",
    schema: nonEmpty,
    default: 'gcr.io/go-containerregistry/gcrane:debug',
  }),
  BAKE_MODEL_NAME: setting({
    doc: 'Name the model is served under: `/models/NAME` in the image, its `MODEL_NAME`.',
    schema: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'must be letters, digits, `_`, `.` or `-`'),
    default: 'resnet',
  }),
  BAKE_MODEL_VERSION: setting({
    doc: 'Version directory given to a release whose tarball holds the SavedModel without one.',
    schema: positiveInt,
    default: '1',
  }),
  BAKE_MAX_ASSET_BYTES: setting({
    doc: 'Largest release asset downloaded.',
    schema: positiveInt,
    default: '2147483648',
  }),
  BAKE_MAX_FILES: setting({
    doc: 'Most entries extracted from a release tarball.',
    schema: positiveInt,
    default: '10000',
  }),
  BAKE_MAX_EXTRACTED_BYTES: setting({
    doc: 'Most bytes extracted from a release tarball.',
    schema: positiveInt,
    default: '8589934592',
  }),
  BAKE_SMOKE_CHECK: setting({
    doc: 'Start the baked image in the build and send it one Predict before it is deployed (pulls the whole base image).',
    schema: bool,
    default: 'false',
  }),
  BUILD_TIMEOUT: setting({ doc: 'Longest a bake build may run, in seconds.', schema: positiveInt, default: '1200' }),
  BUILD_MACHINE_TYPE: setting({
    doc: 'Cloud Build machine type of the bake; UNSPECIFIED is the default (e2-standard-2).',
    schema: z.enum(['UNSPECIFIED', 'E2_MEDIUM', 'E2_STANDARD_2', 'E2_HIGHCPU_8', 'E2_HIGHCPU_32']),
    default: 'UNSPECIFIED',
  }),
  GITHUB_TOKEN_SECRET: setting({
    doc: 'Secret Manager secret (its name in this project) holding a GitHub token that can read the release assets of private repositories; empty for public ones.',
    schema: z.string().regex(/^[A-Za-z0-9_-]*$/, 'must be a secret name, not its value'),
    default: '',
  }),
  DEPLOY_SCENARIOS: setting({
    doc: 'The candidate scenarios (files in scenarios/) of each release, comma separated: each is deployed beside the serving one, measured, and judged by the gate.',
    schema: list(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'each entry must be a scenario name')),
    default: '2n-8c-16r-interop4',
  }),
  CANDIDATE_VCPUS: setting({
    doc: 'The vCPUs the cluster can give candidates at once (0: no limit). The candidates of a release roll out and are measured side by side, a scenario and its baseline always together; scenarios that would pass this are measured in turn, in waves.',
    schema: z.string().regex(/^\d+$/, 'must be a whole number').transform(Number),
    default: '0',
  }),
  CANDIDATE_RETENTION: setting({
    doc: 'teardown: delete the candidates once the release is judged; keep: leave them for debugging (the next release of the same scenario replaces them).',
    schema: z.enum(['teardown', 'keep']),
    default: 'teardown',
  }),
  PROMOTION: setting({
    doc: 'auto: the best candidate that passes the gate serves; manual: nothing serves until `modelship promote RUN_ID --scenario S`; off: measure only.',
    schema: z.enum(['auto', 'manual', 'off']),
    default: 'auto',
  }),
  PROMOTION_OBJECTIVE: setting({
    doc: 'How the best passing candidate is chosen: throughput-per-vcpu (the most requests/s per vCPU with p99 under GATE_P99_BOUND_MS) or cost-per-million (the lowest cost per 1M predictions from the price table of docs/gate.md).',
    schema: z.enum(['throughput-per-vcpu', 'cost-per-million']),
    default: 'throughput-per-vcpu',
  }),
  GATE_P99_BOUND_MS: setting({
    doc: 'The p99 a candidate must hold to be promoted, ms.',
    schema: positiveInt,
    default: '500',
  }),
  GATE_TOLERANCE: setting({
    doc: 'The slowdown against the serving release a candidate may show and still pass, as a share (0.05: 5%); smaller changes are noise, not regressions (docs/gate.md).',
    schema: fraction,
    default: '0.05',
  }),
  GATE_ALPHA: setting({
    doc: "The gate's significance level: the false-alarm rate of its test on identical releases before the tolerance (docs/gate.md).",
    schema: fraction.pipe(z.number().gt(0, 'must be more than 0').lt(1, 'must be less than 1')),
    default: '0.01',
  }),
  CLOUD_BUILD_EMULATOR_HOST: setting({
    doc: 'Local stack only: host:port of the Cloud Build emulator (empty in Google Cloud).',
    schema: z.string().regex(/^([^\s:]+:\d+)?$/, 'must be host:port'),
    default: '',
  }),
} as const;

export type SettingName = keyof typeof SETTINGS;
type ValueOf<K extends SettingName> = (typeof SETTINGS)[K] extends Setting<infer T> ? T : never;
export type Config<K extends SettingName> = { [P in K]: ValueOf<P> };

/** Reads and validates the named settings; throws one ConfigError listing every bad or missing one. */
export function loadConfig<K extends SettingName>(
  names: readonly K[],
  env: Record<string, string | undefined> = process.env,
): Config<K> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const row: Setting<unknown> = SETTINGS[name];
    const raw = env[name] ?? row.default;
    if (raw === undefined) {
      problems.push(`${name} is not set: ${row.doc}`);
      continue;
    }
    const parsed = row.schema.safeParse(raw);
    if (parsed.success) out[name] = parsed.data;
    else {
      const shown = row.secret ? '(hidden)' : JSON.stringify(raw);
      problems.push(`${name}=${shown} ${parsed.error.issues.map((i) => i.message).join('; ')}: ${row.doc}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return out as Config<K>;
}

/** The configuration table of the README, generated so that it cannot drift from the code. */
export function configTable(): string {
  const rows = Object.entries(SETTINGS).map(([name, s]: [string, Setting<unknown>]) => {
    const def = s.default === undefined ? '(required)' : s.default === '' ? '(empty)' : `\`${s.default}\``;
    return `| \`${name}\` | ${def} | ${s.doc} |`;
  });
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
