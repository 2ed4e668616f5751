import { TOPICS } from '../../shared/topics.js';
import type { GcpConfig } from './config-schema.js';
import { functionSpecs, type FunctionSpec } from './function-specs.js';
import { principalLabel, targetLabel, type Grant, type IamTarget } from './iam.js';
import { DEAD_LETTER_TOPIC, resourceNames, SERVICE_ACCOUNTS, type AccountKey, type Names } from './names.js';

/**
 * The least-privilege table: every role the pipeline's identities get, on what, and why. The plan grants exactly
 * these; docs/gcp.md shows this table (a test keeps the two equal). Subscription grants are separate: the
 * subscriptions exist only once Eventarc created them for the functions.
 */

/** The Pub/Sub service agent: it moves undeliverable messages to the dead-letter topic. */
export const PUBSUB_AGENT = 'serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com';
const PUBLISHER = 'roles/pubsub.publisher';
const ACCESSOR = 'roles/secretmanager.secretAccessor';
const INVOKER = 'roles/run.invoker';
const FIRESTORE = 'run records and idempotency keys in Firestore';

const grant = (member: string, role: string, on: IamTarget, why: string): Grant => ({ member, role, on, why });

interface Scope {
  config: GcpConfig;
  names: Names;
  /** Every identity that runs pipeline code: the functions' and the load-test job's. */
  runtimes: AccountKey[];
}

/** What the functions' own code does: Firestore, the topics it publishes to, the secrets it mounts. */
function functionGrants({ config, names, runtimes }: Scope, functions: readonly FunctionSpec[]): Grant[] {
  const out = runtimes.map((a) =>
    grant(names.member(a), 'roles/datastore.user', { kind: 'project', project: config.project }, FIRESTORE),
  );
  const add = (g: Grant) => {
    const same = (o: Grant) => o.member === g.member && o.role === g.role && targetLabel(o.on) === targetLabel(g.on);
    if (!out.some(same)) out.push(g);
  };
  for (const f of functions) {
    const m = names.member(f.account);
    for (const name of f.publishes) add(grant(m, PUBLISHER, { kind: 'topic', name }, `${f.entryPoint} publishes here`));
    for (const [variable, ref] of Object.entries(f.secrets)) {
      const on = { kind: 'secret', name: ref.replace(/:[^:]*$/, '') } as const;
      add(grant(m, ACCESSOR, on, `mounted as ${variable} in ${f.entryPoint}`));
    }
  }
  return out;
}

/** What the steps behind the functions need: the bake builds, the cluster, the load-test job, dead letters. */
function pipelineGrants({ config, names }: Scope): Grant[] {
  const m = names.member;
  const project = { kind: 'project', project: config.project } as const;
  const models = { kind: 'repository', name: config.registry.models, location: config.region } as const;
  const pipeline = { kind: 'repository', name: config.registry.pipeline, location: config.region } as const;
  const job = { kind: 'job', name: config.loadTest.job, region: config.region } as const;
  const account = (key: AccountKey) => ({ kind: 'service-account', email: names.email(key) }) as const;
  const { tokenSecret } = config.github;
  const nodes = config.cluster.nodeServiceAccount;
  return [
    grant(
      m('bakeSubmitter'),
      'roles/cloudbuild.builds.editor',
      project,
      'bakeModel creates the bake builds (builds cannot be granted per resource)',
    ),
    grant(
      m('bakeSubmitter'),
      'roles/iam.serviceAccountUser',
      account('bakeBuild'),
      'the builds run as the bake service account; submitting them is acting as it',
    ),
    grant(m('bakeBuild'), 'roles/artifactregistry.writer', models, 'the build pushes the baked image'),
    grant(
      m('bakeBuild'),
      'roles/artifactregistry.reader',
      pipeline,
      'the build steps run the modelship image (its bake tools)',
    ),
    grant(
      m('bakeBuild'),
      'roles/logging.logWriter',
      project,
      'a build with its own service account writes its logs itself',
    ),
    ...(tokenSecret
      ? [
          grant(
            m('bakeBuild'),
            ACCESSOR,
            { kind: 'secret', name: tokenSecret },
            'the build downloads assets of private repositories with the GitHub token',
          ),
        ]
      : []),
    grant(
      m('deployer'),
      'roles/container.clusterViewer',
      { kind: 'project', project: names.clusterProject },
      'reads the cluster endpoint and CA and signs in; what it may do inside is Kubernetes RBAC in one namespace',
    ),
    ...(nodes
      ? [
          grant(
            `serviceAccount:${nodes}`,
            'roles/artifactregistry.reader',
            models,
            'the GKE nodes pull the baked images',
          ),
        ]
      : []),
    grant(
      m('launcher'),
      'roles/run.jobsExecutorWithOverrides',
      job,
      'launchLoadTest runs this job, and only this job, with per-run arguments',
    ),
    grant(
      m('launcher'),
      'roles/iam.serviceAccountUser',
      account('loadTester'),
      'an execution with overrides acts as the job service account',
    ),
    grant(
      m('loadTester'),
      PUBLISHER,
      { kind: 'topic', name: TOPICS.loadTestFinished },
      'the job publishes LoadTestFinished',
    ),
    grant(
      m('loadTester'),
      'roles/storage.objectUser',
      { kind: 'bucket', name: config.bucket },
      'the job writes reports; a retried task overwrites its own objects',
    ),
    grant(
      PUBSUB_AGENT,
      PUBLISHER,
      { kind: 'topic', name: DEAD_LETTER_TOPIC },
      'Pub/Sub forwards undeliverable messages to the dead-letter topic',
    ),
  ];
}

/** Who may invoke each function: anyone for the webhook (it checks signatures), the trigger identity otherwise. */
function invokerGrants({ config, names }: Scope, functions: readonly FunctionSpec[]): Grant[] {
  return functions.map((f) => {
    const on = { kind: 'function', name: f.name, region: config.region } as const;
    return f.trigger === 'http'
      ? grant(
          'allUsers',
          INVOKER,
          on,
          'GitHub cannot sign in to Google; the function checks the HMAC signature instead',
        )
      : grant(
          names.member('invoker'),
          INVOKER,
          on,
          `the Eventarc trigger on ${f.trigger} pushes messages to ${f.entryPoint}`,
        );
  });
}

/** CI deploys code and nothing else: functions, the job's image, the image itself, as the runtime identities. */
function ciGrants({ config, names, runtimes }: Scope): Grant[] {
  const ci = names.member('ci');
  const project = { kind: 'project', project: config.project } as const;
  const job = { kind: 'job', name: config.loadTest.job, region: config.region } as const;
  const pipeline = { kind: 'repository', name: config.registry.pipeline, location: config.region } as const;
  return [
    grant(ci, 'roles/cloudfunctions.developer', project, 'CI deploys new versions of the functions'),
    grant(ci, 'roles/run.developer', job, 'CI points the job at the new image'),
    grant(ci, 'roles/artifactregistry.writer', pipeline, 'CI pushes the tool and load-test images'),
    grant(ci, 'roles/logging.logWriter', project, 'CI builds run as this account and write their logs'),
    ...[...runtimes, 'invoker' as const].map((key) =>
      grant(
        ci,
        'roles/iam.serviceAccountUser',
        { kind: 'service-account', email: names.email(key) },
        `deploying code that runs as ${SERVICE_ACCOUNTS[key].id} is acting as it`,
      ),
    ),
  ];
}

export function grants(config: GcpConfig, names: Names, functions: readonly FunctionSpec[]): Grant[] {
  const scope: Scope = { config, names, runtimes: [...new Set(functions.map((f) => f.account)), 'loadTester'] };
  return [
    ...functionGrants(scope, functions),
    ...pipelineGrants(scope),
    ...invokerGrants(scope, functions),
    ...ciGrants(scope),
  ];
}

/** The dead-letter rights on one trigger subscription (it exists only after the function's deploy). */
export function subscriptionGrant(subscription: string, entryPoint: string): Grant {
  return {
    member: PUBSUB_AGENT,
    role: 'roles/pubsub.subscriber',
    on: { kind: 'subscription', name: subscription },
    why: `Pub/Sub acknowledges a message of ${entryPoint} it moved to the dead-letter topic`,
  };
}

/** Every grant of a deployment, as docs/gcp.md lists them: one row stands for each trigger subscription. */
export function documentedGrants(config: GcpConfig): Grant[] {
  const names = resourceNames(config);
  const specs = functionSpecs(config, names, 'the modelship image');
  return [...grants(config, names, specs), subscriptionGrant('of each event function', 'each event function')];
}

/** The least-privilege table as Markdown, for docs/gcp.md. */
export function rolesTable(list: readonly Grant[]): string {
  const rows = [...list]
    .sort((a, b) => principalLabel(a.member).localeCompare(principalLabel(b.member)))
    .map((g) => `| ${principalLabel(g.member)} | \`${g.role}\` | ${targetLabel(g.on)} | ${g.why} |`);
  return ['| identity | role | on | why |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
