import { TOPICS, type TopicName } from '../../shared/topics.js';
import type { EntryPoint, GcpConfig } from './config-schema.js';
import type { AccountKey, Names } from './names.js';
import { gcraneImage } from './plan-images.js';

/**
 * Every Cloud Function of the pipeline as deployed: entry point (functions/index.ts), trigger, limits, identity,
 * environment and mounted secrets, and the topics it publishes to (its only Pub/Sub rights). A 2nd gen function
 * has one trigger, so reportResults is deployed twice, once per topic it listens to.
 */

export interface FunctionSpec {
  name: string;
  entryPoint: EntryPoint;
  account: AccountKey;
  /** The topic whose messages invoke it, or 'http' for the webhook. */
  trigger: TopicName | 'http';
  timeout: string;
  memory: string;
  /** A cap on instances: a cap on cost, and for the deployer one rollout at a time per cluster. */
  maxInstances: number;
  env: Record<string, string>;
  /** Environment variable → `SECRET:VERSION`, mounted with --set-secrets. */
  secrets: Record<string, string>;
  publishes: TopicName[];
}

/**
 * `modelshipImage` is the tool image by digest (a placeholder until apply knows it): the bake steps run its
 * `modelship bake` tools, as root. Variable names are those of shared/config.ts.
 */
export function functionSpecs(config: GcpConfig, names: Names, modelshipImage: string): FunctionSpec[] {
  const { github } = config;
  const common = { GOOGLE_CLOUD_PROJECT: config.project };
  const apiUrl: Record<string, string> = github.apiUrl ? { GITHUB_API_URL: github.apiUrl } : {};
  const githubUrls: Record<string, string> = {
    ...apiUrl,
    ...(github.serverUrl ? { GITHUB_SERVER_URL: github.serverUrl } : {}),
  };
  const token: Record<string, string> = github.tokenSecret ? { GITHUB_TOKEN: `${github.tokenSecret}:latest` } : {};
  const reporter = (name: string, trigger: TopicName): FunctionSpec => ({
    name,
    entryPoint: 'reportResults',
    account: 'reporter',
    trigger,
    timeout: '120s',
    memory: '256Mi',
    maxInstances: 5,
    env: { ...common, ...apiUrl },
    secrets: token,
    publishes: [],
  });
  const specs: FunctionSpec[] = [
    {
      name: names.webhookFunction,
      entryPoint: 'githubWebhook',
      account: 'webhook',
      trigger: 'http',
      // GitHub gives up after 10 s; a longer timeout would only keep a stuck instance busy.
      timeout: '60s',
      memory: '256Mi',
      maxInstances: 10,
      env: {
        ...common,
        ...githubUrls,
        ALLOWED_REPOSITORIES: github.repositories.join(','),
        MODEL_ASSET_NAME: github.modelAsset,
      },
      secrets: { GITHUB_WEBHOOK_SECRET: `${github.webhookSecret}:latest` },
      publishes: [TOPICS.modelReleased],
    },
    {
      name: 'modelship-bake',
      entryPoint: 'bakeModel',
      account: 'bakeSubmitter',
      trigger: TOPICS.modelReleased,
      timeout: '120s',
      memory: '256Mi',
      maxInstances: 5,
      env: {
        ...common,
        MODELSHIP_IMAGE: modelshipImage,
        TARGET_IMAGE_REPOSITORY: names.modelImage,
        BASE_IMAGE: config.model.baseImage,
        GCRANE_IMAGE: gcraneImage(config),
        BAKE_MODEL_NAME: config.model.name,
        GITHUB_TOKEN_SECRET: github.tokenSecret ?? '',
        BAKE_SERVICE_ACCOUNT: `projects/${config.project}/serviceAccounts/${names.email('bakeBuild')}`,
      },
      secrets: {},
      publishes: [],
    },
    {
      name: 'modelship-build-finished',
      entryPoint: 'onBuildFinished',
      account: 'buildWatcher',
      trigger: TOPICS.cloudBuilds,
      timeout: '60s',
      memory: '256Mi',
      maxInstances: 5,
      env: { ...common, DEPLOY_SCENARIOS: config.scenarios.join(',') },
      secrets: {},
      publishes: [TOPICS.deployRequested, TOPICS.pipelineFailed],
    },
    {
      name: 'modelship-deploy',
      entryPoint: 'deployScenario',
      account: 'deployer',
      trigger: TOPICS.deployRequested,
      // The longest an event function may run; a rollout that needs more continues in a follow-up message.
      timeout: '540s',
      memory: '512Mi',
      maxInstances: 1,
      env: { ...common, GKE_CLUSTER: names.clusterPath, K8S_NAMESPACE: config.cluster.namespace },
      secrets: {},
      publishes: [TOPICS.loadTestRequested, TOPICS.pipelineFailed, TOPICS.deployRequested],
    },
    {
      name: 'modelship-launch-load-test',
      entryPoint: 'launchLoadTest',
      account: 'launcher',
      trigger: TOPICS.loadTestRequested,
      timeout: '120s',
      memory: '256Mi',
      maxInstances: 2,
      env: { ...common, LOAD_TEST_JOB: names.jobPath },
      secrets: {},
      publishes: [],
    },
    reporter('modelship-report-finished', TOPICS.loadTestFinished),
    reporter('modelship-report-failed', TOPICS.pipelineFailed),
  ];
  // The config's extra variables come last: a person may override any plain value.
  return specs.map((s) => ({ ...s, env: { ...s.env, ...config.functions.env[s.entryPoint] } }));
}

/** The load-test job's environment. */
export function jobEnv(config: GcpConfig): Record<string, string> {
  return { GOOGLE_CLOUD_PROJECT: config.project, REPORT_BUCKET: `gs://${config.bucket}`, ...config.loadTest.env };
}
