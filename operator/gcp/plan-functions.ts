import { fillPlaceholders, type Action, type Lookup } from './action.js';
import type { GcpConfig } from './config-schema.js';
import type { FunctionSpec } from './function-specs.js';
import { gcloudRead, gcloudRun, gcloudValue, mapFlag, seconds } from './gcloud-args.js';
import { at, compareFields, sortedRecord } from './json-path.js';
import { SOURCE_LABEL, type Names } from './names.js';

/**
 * The functions, 2nd gen, deployed with gcloud from this source. The Node.js buildpack runs `npm ci`, then the
 * `gcp-build` script, which compiles functions/ and shared/ alone (tsconfig.functions.json); npm's ignore-scripts
 * keeps `npm ci` from running `prepare` (the whole project's build) first, so the source compiles once.
 * A deploy is skipped when the function already has every setting and the label of the same source hash.
 * An event function gets its trigger through Eventarc, which creates a push subscription; the plan then gives
 * that subscription a retry backoff and the dead-letter topic (Eventarc does not set either), and the longest ack
 * deadline: for a push subscription it is also the request's timeout, and Eventarc leaves it at 10 s, while
 * deployScenario may wait minutes for a rollout (Pub/Sub would deliver the message again meanwhile).
 */

const MAX_DELIVERY_ATTEMPTS = 10;
/** The most Pub/Sub allows. */
const ACK_DEADLINE_SECONDS = 600;
const RETRY = ['--min-retry-delay=10s', '--max-retry-delay=600s'];
const BUILD_ENV = { NPM_CONFIG_IGNORE_SCRIPTS: 'true' };
/** Variables the platform adds to every function. */
const PLATFORM_ENV = new Set(['LOG_EXECUTION_ID']);

/** `modelship-report-finished` → `REPORT_FINISHED`, for lookup names. */
const key = (f: FunctionSpec) =>
  f.name
    .replace(/^modelship-/, '')
    .replaceAll('-', '_')
    .toUpperCase();
const triggerLookupName = (f: FunctionSpec) => `TRIGGER_${key(f)}`;
export const subscriptionLookupName = (f: FunctionSpec) => `SUBSCRIPTION_${key(f)}`;

export interface FunctionInputs {
  sourceDir: string;
  sourceHash: string;
}

function deployAction(config: GcpConfig, names: Names, f: FunctionSpec, inputs: FunctionInputs): Action {
  const { project, region } = config;
  const event = f.trigger !== 'http';
  const secrets = Object.keys(f.secrets).length > 0 ? [mapFlag('set-secrets', f.secrets)] : [];
  const trigger = event
    ? [`--trigger-topic=${f.trigger}`, '--retry', `--trigger-service-account=${names.email('invoker')}`]
    : ['--trigger-http'];
  const deploy = gcloudRun(
    project,
    'functions',
    'deploy',
    f.name,
    '--gen2',
    `--region=${region}`,
    `--runtime=${config.functions.runtime}`,
    `--source=${inputs.sourceDir}`,
    `--entry-point=${f.entryPoint}`,
    ...trigger,
    `--service-account=${names.email(f.account)}`,
    `--build-service-account=${names.accountPath('builder')}`,
    mapFlag('set-build-env-vars', BUILD_ENV),
    `--timeout=${f.timeout}`,
    `--memory=${f.memory}`,
    ...(f.cpu ? [`--cpu=${f.cpu}`] : []),
    `--max-instances=${f.maxInstances}`,
    // Event functions take requests from Eventarc only; the webhook must be reachable by GitHub.
    `--ingress-settings=${event ? 'internal-only' : 'all'}`,
    mapFlag('set-env-vars', f.env),
    ...secrets,
    `--update-labels=${SOURCE_LABEL}=${inputs.sourceHash}`,
  );
  return {
    id: `function ${f.name}`,
    kind: 'code',
    description: `Function ${f.name} (${f.entryPoint}) on ${event ? `topic ${f.trigger}, retried` : 'HTTPS'}`,
    read: gcloudRead(project, 'functions', 'describe', f.name, '--gen2', `--region=${region}`),
    diff: (fn, values) => {
      const service = at(fn, 'serviceConfig');
      const wantedEnv = Object.fromEntries(Object.entries(f.env).map(([k, v]) => [k, fillPlaceholders(v, values)]));
      const env = Object.entries(sortedRecord(at(service, 'environmentVariables'))).filter(
        ([k]) => !PLATFORM_ENV.has(k),
      );
      const mounted = ((at(service, 'secretEnvironmentVariables') as unknown[] | undefined) ?? []).map((s) => [
        at(s, 'key'),
        `${at(s, 'secret')}:${at(s, 'version')}`,
      ]);
      return compareFields([
        ['runtime', config.functions.runtime, at(fn, 'buildConfig.runtime')],
        ['entry point', f.entryPoint, at(fn, 'buildConfig.entryPoint')],
        ['source', inputs.sourceHash, at(fn, `labels.${SOURCE_LABEL}`)],
        ['service account', names.email(f.account), at(service, 'serviceAccountEmail')],
        ['build service account', names.accountPath('builder'), at(fn, 'buildConfig.serviceAccount')],
        ['build env', BUILD_ENV, sortedRecord(at(fn, 'buildConfig.environmentVariables'))],
        ['timeout', seconds(f.timeout), at(service, 'timeoutSeconds')],
        ['memory', f.memory, at(service, 'availableMemory')],
        ...(f.cpu ? ([['cpu', f.cpu, at(service, 'availableCpu')]] as const) : []),
        ['max instances', f.maxInstances, at(service, 'maxInstanceCount')],
        ['ingress', event ? 'ALLOW_INTERNAL_ONLY' : 'ALLOW_ALL', at(service, 'ingressSettings')],
        ['env', sortedRecord(wantedEnv), Object.fromEntries(env)],
        ['secrets', sortedRecord(f.secrets), sortedRecord(Object.fromEntries(mounted))],
        ...(event
          ? ([
              ['trigger topic', `projects/${project}/topics/${f.trigger}`, at(fn, 'eventTrigger.pubsubTopic')],
              ['retry', 'RETRY_POLICY_RETRY', at(fn, 'eventTrigger.retryPolicy')],
              ['trigger identity', names.email('invoker'), at(fn, 'eventTrigger.serviceAccountEmail')],
            ] as const)
          : []),
      ]);
    },
    create: deploy,
    update: deploy,
  };
}

/** The trigger and its subscription are named by Eventarc: two lookups find the subscription of a function. */
export function subscriptionLookups(config: GcpConfig, f: FunctionSpec): Lookup[] {
  const trigger = triggerLookupName(f);
  return [
    {
      name: trigger,
      description: `the Eventarc trigger of ${f.name}`,
      command: gcloudValue(
        config.project,
        'eventTrigger.trigger',
        'functions',
        'describe',
        f.name,
        '--gen2',
        `--region=${config.region}`,
      ),
    },
    {
      name: subscriptionLookupName(f),
      description: `the Pub/Sub subscription of ${f.name}'s trigger`,
      command: gcloudValue(
        config.project,
        'transport.pubsub.subscription',
        'eventarc',
        'triggers',
        'describe',
        `\${${trigger}}`,
      ),
    },
  ];
}

function subscriptionAction(config: GcpConfig, names: Names, f: FunctionSpec): Action {
  const { project } = config;
  const subscription = `\${${subscriptionLookupName(f)}}`;
  const deadLetter = names.deadLetterTopicPath;
  return {
    id: `subscription of ${f.name}`,
    kind: 'resource',
    description: `${f.name}'s push subscription: ack deadline ${ACK_DEADLINE_SECONDS}s, backoff 10s to 600s, dead letters after ${MAX_DELIVERY_ATTEMPTS} attempts`,
    read: gcloudRead(project, 'pubsub', 'subscriptions', 'describe', subscription),
    diff: (s) =>
      compareFields([
        ['ack deadline', ACK_DEADLINE_SECONDS, at(s, 'ackDeadlineSeconds')],
        ['dead-letter topic', deadLetter, at(s, 'deadLetterPolicy.deadLetterTopic')],
        ['max delivery attempts', MAX_DELIVERY_ATTEMPTS, at(s, 'deadLetterPolicy.maxDeliveryAttempts')],
        ['minimum backoff', '10s', at(s, 'retryPolicy.minimumBackoff')],
        ['maximum backoff', '600s', at(s, 'retryPolicy.maximumBackoff')],
      ]),
    update: gcloudRun(
      project,
      'pubsub',
      'subscriptions',
      'update',
      subscription,
      `--ack-deadline=${ACK_DEADLINE_SECONDS}`,
      `--dead-letter-topic=${deadLetter}`,
      `--max-delivery-attempts=${MAX_DELIVERY_ATTEMPTS}`,
      ...RETRY,
    ),
    hint: `the trigger of ${f.name} has no subscription: redeploy the function (modelship gcp apply)`,
  };
}

export function functionActions(
  config: GcpConfig,
  names: Names,
  specs: readonly FunctionSpec[],
  inputs: FunctionInputs,
) {
  return {
    deploys: specs.map((f) => deployAction(config, names, f, inputs)),
    subscriptions: specs.filter((f) => f.trigger !== 'http').map((f) => subscriptionAction(config, names, f)),
  };
}
