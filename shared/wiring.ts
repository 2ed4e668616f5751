import { TOPICS, type TopicName } from './topics.js';

/**
 * The pipeline's wiring, declared once: for every piece of code that runs in Google Cloud, what starts it, the
 * messages it publishes, the Google APIs it calls with the IAM permission each call needs, the secrets it reads
 * and the service account it runs as. Everything else follows from this table and from nothing else: the
 * functions' registrations (functions/index.ts), the local push subscriptions (local/stack.ts), the Eventarc
 * triggers and the grants of `modelship gcp plan` (operator/gcp/), the least-privilege table of docs/gcp.md, and
 * the publisher's own check that a function publishes only where it was declared to.
 */

/**
 * The identities: one per function (reportResults' two deployments share one), the job's, the bake builds', the
 * builds apply and CI start (the functions' source, the load-test image, the base image's copy) and CI's.
 */
export const SERVICE_ACCOUNTS = {
  webhook: { id: 'modelship-webhook', runs: 'githubWebhook' },
  bakeSubmitter: { id: 'modelship-bake-submitter', runs: 'bakeModel' },
  bakeBuild: { id: 'modelship-bake-build', runs: 'the bake builds (cloudbuild/bake-model.yaml)' },
  buildWatcher: { id: 'modelship-build-watcher', runs: 'onBuildFinished' },
  deployer: { id: 'modelship-deployer', runs: 'deployScenario' },
  launcher: { id: 'modelship-launcher', runs: 'launchLoadTest' },
  reporter: { id: 'modelship-reporter', runs: 'reportResults' },
  runWatcher: { id: 'modelship-run-watcher', runs: 'watchRuns' },
  loadTester: { id: 'modelship-load-tester', runs: 'the load-test Cloud Run job' },
  invoker: { id: 'modelship-invoker', runs: 'the Eventarc triggers (push to the functions)' },
  builder: { id: 'modelship-builder', runs: "the functions' builds and the image builds apply starts (Cloud Build)" },
  ci: { id: 'modelship-ci', runs: 'cloudbuild/deploy-pipeline.yaml (CI/CD on push to main)' },
} as const;
export type AccountKey = keyof typeof SERVICE_ACCOUNTS;

/**
 * What a call acts on, by role in the pipeline; the deploy configuration names the real resource (the plan
 * resolves it). `cluster` is the project of the GKE cluster, which may differ from the pipeline's.
 */
export type Target =
  | { kind: 'project' }
  | { kind: 'cluster' }
  | { kind: 'topic'; topic: TopicName }
  | { kind: 'service-account'; account: AccountKey }
  | { kind: 'load-test-job' }
  | { kind: 'report-bucket' }
  | { kind: 'repository'; repository: 'models' | 'pipeline' }
  | { kind: 'secret'; secret: SecretKey };

/** The secrets of the deploy configuration (`github.webhookSecret`, `github.tokenSecret`). */
export type SecretKey = 'webhookSecret' | 'tokenSecret';

export interface ApiCall {
  /** The IAM permission the call needs, as Google's API reference names it. */
  permission: string;
  on: Target;
  why: string;
}

/** What runs a workload: an HTTP request, messages on topics (one Eventarc trigger each), or a pipeline step. */
export type Trigger = FunctionTrigger | 'cloud-build' | 'cloud-run-job';
export type FunctionTrigger = 'http' | readonly TopicName[];

export interface Workload<T extends Trigger = Trigger> {
  account: AccountKey;
  trigger: T;
  /** Every topic it may publish to, failures included. */
  publishes: readonly TopicName[];
  calls: readonly ApiCall[];
  /** Environment variable → the secret mounted there. A secret the config leaves out is not mounted. */
  secrets: Readonly<Record<string, SecretKey>>;
}

/**
 * A Cloud Function: a workload with a timeout, after which Cloud Functions stops it. The timeout is also the lease of
 * the function's idempotency claims (shared/idempotency.ts): a claim outlives no attempt that can still be running.
 */
export interface FunctionWorkload extends Workload<FunctionTrigger> {
  timeoutS: number;
}

const STORE: ApiCall[] = [
  'datastore.entities.get',
  'datastore.entities.list',
  'datastore.entities.create',
  'datastore.entities.update',
].map((permission) => ({ permission, on: { kind: 'project' }, why: 'run records and idempotency keys in Firestore' }));

/** Writing files to the report bucket, and overwriting them (a retry writes the same names again). */
const reportWrites = (writes: string, overwrites: string): ApiCall[] => [
  { permission: 'storage.objects.create', on: { kind: 'report-bucket' }, why: writes },
  { permission: 'storage.objects.delete', on: { kind: 'report-bucket' }, why: overwrites },
];

const FUNCTIONS_TABLE = {
  githubWebhook: {
    // GitHub gives up after 10 s; a longer timeout would only keep a stuck instance busy.
    timeoutS: 60,
    account: 'webhook',
    trigger: 'http',
    publishes: [TOPICS.modelReleased],
    calls: STORE,
    secrets: { GITHUB_WEBHOOK_SECRET: 'webhookSecret' },
  },
  bakeModel: {
    timeoutS: 120,
    account: 'bakeSubmitter',
    trigger: [TOPICS.modelReleased],
    // PipelineFailed when Cloud Build refuses the build: without it the refused build is submitted again and again.
    publishes: [TOPICS.pipelineFailed],
    calls: [
      ...STORE,
      { permission: 'cloudbuild.builds.create', on: { kind: 'project' }, why: 'bakeModel creates the bake build' },
      { permission: 'cloudbuild.builds.get', on: { kind: 'project' }, why: 'bakeModel reads its build back' },
      { permission: 'cloudbuild.builds.list', on: { kind: 'project' }, why: 'bakeModel finds a build by its run tag' },
      {
        permission: 'iam.serviceAccounts.actAs',
        on: { kind: 'service-account', account: 'bakeBuild' },
        why: 'the build runs as the bake service account; submitting it is acting as it',
      },
    ],
    secrets: {},
  },
  onBuildFinished: {
    timeoutS: 60,
    account: 'buildWatcher',
    trigger: [TOPICS.cloudBuilds],
    publishes: [TOPICS.deployRequested, TOPICS.pipelineFailed],
    calls: [
      ...STORE,
      {
        permission: 'cloudbuild.builds.get',
        on: { kind: 'project' },
        why: 'onBuildFinished reads the build back from Cloud Build: a notification alone proves nothing',
      },
    ],
    secrets: {},
  },
  deployScenario: {
    // The longest an event function may run; a rollout that needs more continues in a follow-up message.
    timeoutS: 540,
    account: 'deployer',
    // Candidates to roll out, and the promotion that ends a run's measurement: the only code that writes the cluster.
    trigger: [TOPICS.deployRequested, TOPICS.promoteRequested],
    // deploy-requested and promote-requested again: a rollout longer than one invocation continues in a follow-up.
    publishes: [
      TOPICS.loadTestRequested,
      TOPICS.pipelineFailed,
      TOPICS.deployRequested,
      TOPICS.promoteRequested,
      TOPICS.promotionFinished,
    ],
    calls: [
      ...STORE,
      {
        permission: 'container.clusters.get',
        on: { kind: 'cluster' },
        why: 'reads the cluster endpoint and CA and signs in; inside, Kubernetes RBAC allows one namespace',
      },
    ],
    secrets: {},
  },
  launchLoadTest: {
    timeoutS: 120,
    account: 'launcher',
    trigger: [TOPICS.loadTestRequested],
    publishes: [],
    calls: [
      ...STORE,
      {
        permission: 'run.jobs.runWithOverrides',
        on: { kind: 'load-test-job' },
        why: 'launchLoadTest runs this job, and only this job, with per-run arguments',
      },
    ],
    secrets: {},
  },
  reportResults: {
    timeoutS: 120,
    account: 'reporter',
    trigger: [TOPICS.loadTestFinished, TOPICS.pipelineFailed, TOPICS.promotionFinished],
    // The load tests of a wave whose last rollout failed, the next wave of candidates, and the promotion once the
    // gate has judged them all.
    publishes: [TOPICS.loadTestRequested, TOPICS.deployRequested, TOPICS.promoteRequested],
    calls: [
      ...STORE,
      ...reportWrites(
        "reportResults writes the run's comparison page (its candidates side by side) beside their reports",
        'a retried judgement overwrites its own comparison page',
      ),
    ],
    secrets: { GITHUB_TOKEN: 'tokenSecret' },
  },
  watchRuns: {
    account: 'runWatcher',
    // Published every minute by Cloud Scheduler (the local stack's timer stands in for it).
    trigger: [TOPICS.watchRuns],
    timeoutS: 120,
    // PipelineFailed for a run past its deadline, so that reportResults records and reports it.
    publishes: [TOPICS.pipelineFailed],
    calls: [
      ...STORE,
      {
        permission: 'run.executions.get',
        on: { kind: 'load-test-job' },
        why: "watchRuns reads the load test's execution: a job that died reports nothing itself",
      },
    ],
    secrets: {},
  },
} as const satisfies Record<string, FunctionWorkload>;

/** The Cloud Functions of functions/index.ts, by entry point. */
export const FUNCTIONS = FUNCTIONS_TABLE;
export type EntryPoint = keyof typeof FUNCTIONS_TABLE;
export const ENTRY_POINTS = Object.keys(FUNCTIONS_TABLE) as EntryPoint[];

/** The code that runs outside the functions: the load-test job and the bake builds. */
export const STEPS = {
  loadTestJob: {
    account: 'loadTester',
    trigger: 'cloud-run-job',
    // PipelineFailed when the job cannot run its test: otherwise the run never ends.
    publishes: [TOPICS.loadTestFinished, TOPICS.pipelineFailed],
    calls: [
      ...STORE,
      ...reportWrites('the job writes the report files', 'a retried task overwrites its own report files'),
      {
        permission: 'storage.objects.get',
        on: { kind: 'report-bucket' },
        // One short reason for both: a test split into tasks meets through ready and result objects (task-peers.ts).
        why: 'split tasks meet here',
      },
      {
        permission: 'storage.objects.list',
        on: { kind: 'report-bucket' },
        why: 'split tasks meet here',
      },
    ],
    secrets: {},
  },
  bakeBuild: {
    account: 'bakeBuild',
    trigger: 'cloud-build',
    publishes: [],
    calls: [
      {
        permission: 'artifactregistry.repositories.uploadArtifacts',
        on: { kind: 'repository', repository: 'models' },
        why: 'the build pushes the baked image',
      },
      {
        permission: 'artifactregistry.repositories.downloadArtifacts',
        on: { kind: 'repository', repository: 'pipeline' },
        why: 'the build steps run the modelship image (its bake tools)',
      },
      {
        permission: 'logging.logEntries.create',
        on: { kind: 'project' },
        why: 'a build with its own service account writes its logs itself',
      },
    ],
    // The bake's fetch step reads it through Cloud Build's availableSecrets (cloudbuild/bake-model.yaml).
    secrets: { GITHUB_TOKEN: 'tokenSecret' },
  },
} as const satisfies Record<string, Workload>;
export type Step = keyof typeof STEPS;

export const WORKLOADS: Readonly<Record<EntryPoint | Step, Workload>> = { ...FUNCTIONS_TABLE, ...STEPS };
