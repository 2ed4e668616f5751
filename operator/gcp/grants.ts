import type { GcpConfig } from './config-schema.js';
import { WORKLOADS, type ApiCall, type Target, type Workload } from '../../shared/wiring.js';
import { functionSpecs, type FunctionSpec } from './function-specs.js';
import { principalLabel, targetLabel, type Grant, type IamTarget } from './iam.js';
import { DEAD_LETTER_TOPIC, resourceNames, type Names } from './names.js';
import { NODE_ACCOUNT_LOOKUP } from './node-account.js';
import { ROLE_PERMISSIONS } from './roles.js';
import { SERVICE_ACCOUNTS } from '../../shared/wiring.js';

/**
 * The least-privilege table: every role the pipeline's identities get, on what, and why. The code's own rights
 * are derived from shared/wiring.ts (the permissions each workload's calls need, each mapped to the narrowest
 * role that carries it); the platform's, the triggers' and CI's are listed here. The plan grants exactly these;
 * docs/gcp.md shows this table (a test keeps the two equal). Subscription grants are separate: the subscriptions
 * exist only once Eventarc created them for the functions.
 */

/** The Pub/Sub service agent: it moves undeliverable messages to the dead-letter topic. */
export const PUBSUB_AGENT = 'serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com';
const INVOKER = 'roles/run.invoker';

/** For each permission the wiring declares, the narrowest predefined role that carries it. */
export const ROLE_FOR: Readonly<Record<string, string>> = {
  'pubsub.topics.publish': 'roles/pubsub.publisher',
  'datastore.entities.get': 'roles/datastore.user',
  'datastore.entities.list': 'roles/datastore.user',
  'datastore.entities.create': 'roles/datastore.user',
  'datastore.entities.update': 'roles/datastore.user',
  // Builds cannot be granted per resource: the project is the narrowest scope.
  'cloudbuild.builds.create': 'roles/cloudbuild.builds.editor',
  'cloudbuild.builds.get': 'roles/cloudbuild.builds.viewer',
  'cloudbuild.builds.list': 'roles/cloudbuild.builds.viewer',
  'iam.serviceAccounts.actAs': 'roles/iam.serviceAccountUser',
  'container.clusters.get': 'roles/container.clusterViewer',
  'run.jobs.runWithOverrides': 'roles/run.jobsExecutorWithOverrides',
  'run.executions.get': 'roles/run.viewer',
  'storage.objects.create': 'roles/storage.objectUser',
  'storage.objects.delete': 'roles/storage.objectUser',
  'storage.objects.get': 'roles/storage.objectUser',
  'storage.objects.list': 'roles/storage.objectUser',
  'artifactregistry.repositories.uploadArtifacts': 'roles/artifactregistry.writer',
  'artifactregistry.repositories.downloadArtifacts': 'roles/artifactregistry.reader',
  'logging.logEntries.create': 'roles/logging.logWriter',
  'secretmanager.versions.access': 'roles/secretmanager.secretAccessor',
};

const grant = (member: string, role: string, on: IamTarget, why: string): Grant => ({ member, role, on, why });

interface Scope {
  config: GcpConfig;
  names: Names;
}

/** The real resource a wiring target names in this deployment; undefined for a secret the config leaves out. */
function resolve({ config, names }: Scope, target: Target): IamTarget | undefined {
  switch (target.kind) {
    case 'project':
      return { kind: 'project', project: config.project };
    case 'cluster':
      return { kind: 'project', project: names.clusterProject };
    case 'topic':
      return { kind: 'topic', name: target.topic };
    case 'service-account':
      return { kind: 'service-account', email: names.email(target.account) };
    case 'load-test-job':
      return { kind: 'job', name: config.loadTest.job, region: config.region };
    case 'report-bucket':
      return { kind: 'bucket', name: config.bucket };
    case 'repository':
      return { kind: 'repository', name: config.registry[target.repository], location: config.region };
    case 'secret': {
      const name = config.github[target.secret];
      return name ? { kind: 'secret', name } : undefined;
    }
  }
}

/** What a workload's calls need, one grant per role and resource: what shared/wiring.ts declares, nothing more. */
export function workloadCalls(name: string, w: Workload): ApiCall[] {
  return [
    ...w.calls,
    ...w.publishes.map((topic) => ({
      permission: 'pubsub.topics.publish',
      on: { kind: 'topic', topic } as const,
      why: `${name} publishes here`,
    })),
    ...Object.entries(w.secrets).map(([variable, secret]) => ({
      permission: 'secretmanager.versions.access',
      on: { kind: 'secret', secret } as const,
      why: `mounted as ${variable} in ${name}`,
    })),
  ];
}

function wiringGrants(scope: Scope): Grant[] {
  const out: Grant[] = [];
  for (const w of Object.values(WORKLOADS)) {
    const member = scope.names.member(w.account);
    for (const call of workloadCalls(SERVICE_ACCOUNTS[w.account].runs, w)) {
      const on = resolve(scope, call.on);
      if (!on) continue;
      const mine = out.filter((g) => g.member === member && targetLabel(g.on) === targetLabel(on));
      // A role already granted here that carries the permission (builds.editor carries builds.get) serves it too.
      const role =
        mine.find((g) => ROLE_PERMISSIONS[g.role]?.includes(call.permission))?.role ?? ROLE_FOR[call.permission];
      if (!role) throw new Error(`no role is known for ${call.permission}: add it to ROLE_FOR`);
      const same = mine.find((g) => g.role === role);
      if (!same) out.push(grant(member, role, on, call.why));
      else if (!same.why.includes(call.why)) same.why = `${same.why}; ${call.why}`;
    }
  }
  return out;
}

/**
 * The builds' identity: new projects build as the Compute Engine default account, often without rights. Project
 * wide, because what the functions' builds write (the gcf-artifacts repository, the gcf-v2-sources bucket) exists
 * only once the first deploy made it.
 */
const BUILDER_ROLE = 'roles/cloudbuild.builds.builder';

/** What the platform around the code needs: the builds, the nodes pulling images, dead letters. */
function platformGrants({ config, names }: Scope): Grant[] {
  const models = { kind: 'repository', name: config.registry.models, location: config.region } as const;
  // The config's account, else the one apply reads from the cluster.
  const nodes = config.cluster.nodeServiceAccount ?? `\${${NODE_ACCOUNT_LOOKUP}}`;
  return [
    grant(
      names.member('builder'),
      BUILDER_ROLE,
      { kind: 'project', project: config.project },
      "the functions' builds and apply's image builds read their source, write logs and push images",
    ),
    grant(`serviceAccount:${nodes}`, 'roles/artifactregistry.reader', models, 'the GKE nodes pull the baked images'),
    grant(
      PUBSUB_AGENT,
      'roles/pubsub.publisher',
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
function ciGrants({ config, names }: Scope): Grant[] {
  const runtimes = [...new Set(Object.values(WORKLOADS).map((w) => w.account))].filter((a) => a !== 'bakeBuild');
  const ci = names.member('ci');
  const project = { kind: 'project', project: config.project } as const;
  const job = { kind: 'job', name: config.loadTest.job, region: config.region } as const;
  const pipeline = { kind: 'repository', name: config.registry.pipeline, location: config.region } as const;
  return [
    grant(ci, 'roles/cloudfunctions.developer', project, 'CI deploys new versions of the functions'),
    grant(ci, 'roles/run.developer', job, 'CI points the job at the new image'),
    grant(ci, 'roles/artifactregistry.writer', pipeline, 'CI pushes the tool and load-test images'),
    grant(ci, 'roles/logging.logWriter', project, 'CI builds run as this account and write their logs'),
    ...[...runtimes, 'invoker' as const, 'builder' as const].map((key) =>
      grant(
        ci,
        'roles/iam.serviceAccountUser',
        { kind: 'service-account', email: names.email(key) },
        `deploying code that runs or builds as ${SERVICE_ACCOUNTS[key].id} is acting as it`,
      ),
    ),
  ];
}

export function grants(config: GcpConfig, names: Names, functions: readonly FunctionSpec[]): Grant[] {
  const scope: Scope = { config, names };
  return [...wiringGrants(scope), ...platformGrants(scope), ...invokerGrants(scope, functions), ...ciGrants(scope)];
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
