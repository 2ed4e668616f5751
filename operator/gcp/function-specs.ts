import { TOPICS, type TopicName } from '../../shared/topics.js';
import { ENTRY_POINTS, FUNCTIONS, type AccountKey, type EntryPoint, type SecretKey } from '../../shared/wiring.js';
import type { GcpConfig } from './config-schema.js';
import type { Names } from './names.js';
import { baseImage } from './plan-base-image.js';
import { gcraneImage } from './plan-images.js';

/**
 * Every Cloud Function of the pipeline as deployed: entry point (functions/index.ts), trigger, limits, identity,
 * environment and mounted secrets, and the topics it publishes to (its only Pub/Sub rights). A 2nd gen function
 * has one trigger, so a function with several trigger topics (reportResults) is deployed once per topic.
 */

export interface FunctionSpec {
  name: string;
  entryPoint: EntryPoint;
  account: AccountKey;
  /** The topic whose messages invoke it, or 'http' for the webhook. */
  trigger: TopicName | 'http';
  timeout: string;
  memory: string;
  /** vCPUs, when not the memory tier's (256Mi gets 0.167). */
  cpu?: string;
  /** A cap on instances: a cap on cost, and for the deployer one rollout at a time per cluster. */
  maxInstances: number;
  env: Record<string, string>;
  /** Environment variable → `SECRET:VERSION`, mounted with --set-secrets. */
  secrets: Record<string, string>;
  publishes: TopicName[];
}

/** How each function is deployed: its name (one per trigger topic), limits and environment. */
interface Deployment {
  /** The function's name, or one per trigger topic for a function with several (one trigger each in 2nd gen). */
  name: string | Partial<Record<TopicName, string>>;
  memory: string;
  cpu?: string;
  maxInstances: number;
  env: Record<string, string>;
}

/**
 * `modelshipImage` is the tool image by digest (a placeholder until apply knows it): the bake steps run its
 * `modelship bake` tools, as root. Variable names are those of shared/config.ts. Trigger, identity, secrets and
 * publishes come from shared/wiring.ts.
 */
export function functionSpecs(config: GcpConfig, names: Names, modelshipImage: string): FunctionSpec[] {
  const { github } = config;
  const common = { GOOGLE_CLOUD_PROJECT: config.project };
  const apiUrl: Record<string, string> = github.apiUrl ? { GITHUB_API_URL: github.apiUrl } : {};
  const githubUrls: Record<string, string> = {
    ...apiUrl,
    ...(github.serverUrl ? { GITHUB_SERVER_URL: github.serverUrl } : {}),
  };
  const deployments: Record<EntryPoint, Deployment> = {
    githubWebhook: {
      name: names.webhookFunction,
      // A whole vCPU: a cold start costs the webhook ~1.3 s of CPU (README, "Cold start"), about 8 s at 256Mi's 0.167
      // vCPU against GitHub's 10 s delivery timeout, and GitHub does not redeliver by itself. CPU is billed only
      // while a request is handled, a few per release.
      memory: '512Mi',
      cpu: '1',
      maxInstances: 10,
      env: {
        ...githubUrls,
        ALLOWED_REPOSITORIES: github.repositories.join(','),
        MODEL_ASSET_NAME: github.modelAsset,
      },
    },
    bakeModel: {
      name: 'modelship-bake',
      memory: '256Mi',
      maxInstances: 5,
      env: {
        ...apiUrl,
        MODELSHIP_IMAGE: modelshipImage,
        TARGET_IMAGE_REPOSITORY: names.modelImage,
        BASE_IMAGE: baseImage(config),
        GCRANE_IMAGE: gcraneImage(config),
        BAKE_MODEL_NAME: config.model.name,
        GITHUB_TOKEN_SECRET: github.tokenSecret ?? '',
        BAKE_SERVICE_ACCOUNT: names.accountPath('bakeBuild'),
      },
    },
    onBuildFinished: {
      name: 'modelship-build-finished',
      memory: '256Mi',
      maxInstances: 5,
      // The namespace's serving image is each scenario's baseline.
      env: { DEPLOY_SCENARIOS: config.scenarios.join(','), K8S_NAMESPACE: config.cluster.namespace },
    },
    deployScenario: {
      name: {
        [TOPICS.deployRequested]: 'modelship-deploy',
        [TOPICS.promoteRequested]: 'modelship-promote',
      },
      memory: '512Mi',
      // The candidates of a run roll out side by side, one invocation each; the namespace lock keeps runs apart.
      maxInstances: 10,
      env: {
        GKE_CLUSTER: names.clusterPath,
        K8S_NAMESPACE: config.cluster.namespace,
        TARGET_IMAGE_REPOSITORY: names.modelImage,
      },
    },
    launchLoadTest: {
      name: 'modelship-launch-load-test',
      memory: '256Mi',
      maxInstances: 2,
      env: { LOAD_TEST_JOB: names.jobPath },
    },
    reportResults: {
      name: {
        [TOPICS.loadTestFinished]: 'modelship-report-finished',
        [TOPICS.pipelineFailed]: 'modelship-report-failed',
        [TOPICS.promotionFinished]: 'modelship-report-promoted',
      },
      memory: '256Mi',
      maxInstances: 5,
      env: { ...apiUrl, REPORT_BUCKET: `gs://${config.bucket}` },
    },
    watchRuns: {
      name: 'modelship-watch-runs',
      memory: '256Mi',
      // One sweep at a time: two would only race to fail the same overdue run.
      maxInstances: 1,
      env: {},
    },
  };
  return ENTRY_POINTS.flatMap((entryPoint) => {
    const { name, env, ...limits } = deployments[entryPoint];
    const wiring = FUNCTIONS[entryPoint];
    const triggers = wiring.trigger === 'http' ? (['http'] as const) : wiring.trigger;
    return triggers.map((trigger) => ({
      name: typeof name === 'string' ? name : nameFor(name, trigger, entryPoint),
      entryPoint,
      account: wiring.account,
      trigger,
      timeout: `${wiring.timeoutS}s`,
      ...limits,
      // The config's extra variables come last: a person may override any plain value.
      env: { ...common, ...env, ...config.functions.env[entryPoint] },
      secrets: mountedSecrets(config, wiring.secrets),
      publishes: [...wiring.publishes],
    }));
  });
}

function nameFor(names: Partial<Record<TopicName, string>>, trigger: TopicName | 'http', entryPoint: string): string {
  const name = trigger === 'http' ? undefined : names[trigger];
  if (!name) throw new Error(`${entryPoint} has no function name for its trigger ${trigger}`);
  return name;
}

/** Environment variable → `SECRET:latest`, for the secrets the config has. */
export function mountedSecrets(
  config: GcpConfig,
  secrets: Readonly<Record<string, SecretKey>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(secrets).flatMap(([variable, key]) => {
      const id = config.github[key];
      return id ? [[variable, `${id}:latest`]] : [];
    }),
  );
}

/** The load-test job's environment. */
export function jobEnv(config: GcpConfig): Record<string, string> {
  return { GOOGLE_CLOUD_PROJECT: config.project, REPORT_BUCKET: `gs://${config.bucket}`, ...config.loadTest.env };
}
