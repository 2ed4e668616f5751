import type { Action, Command } from './action.js';
import type { GcpConfig } from './config-schema.js';
import { gcloudRead } from './gcloud-args.js';
import { at, compareFields } from './json-path.js';
import type { Names } from './names.js';

/**
 * What apply checks before it builds anything: the project, the APIs (the one thing here it changes), and the
 * prerequisites it does not create: the cluster, its subnet, and the GitHub token's value.
 */

export const APIS = [
  'artifactregistry.googleapis.com',
  'cloudbuild.googleapis.com',
  'cloudfunctions.googleapis.com',
  'cloudresourcemanager.googleapis.com',
  'cloudscheduler.googleapis.com',
  'compute.googleapis.com',
  'container.googleapis.com',
  'eventarc.googleapis.com',
  'firestore.googleapis.com',
  'iam.googleapis.com',
  'logging.googleapis.com',
  'pubsub.googleapis.com',
  'run.googleapis.com',
  'secretmanager.googleapis.com',
  'storage.googleapis.com',
];

export const hasEnabledVersion = (versions: unknown) =>
  Array.isArray(versions) && versions.some((v) => at(v, 'state') === 'ENABLED') ? [] : ['no enabled version'];

/** The GitHub token's value is the person's to add: apply checks it is there, before anything needs it. */
function tokenRequirement(project: string, secret: string): Action {
  return {
    id: 'require github token',
    kind: 'require',
    description: `The secret ${secret} holds a GitHub token (private release assets, results on releases)`,
    read: gcloudRead(project, 'secrets', 'versions', 'list', secret),
    diff: hasEnabledVersion,
    hint:
      `add the token once: printf %s "$GITHUB_TOKEN" | gcloud secrets create ${secret} --data-file=- ` +
      `--project=${project} (gcloud secrets versions add when the secret exists), or remove github.tokenSecret`,
  };
}

/** The cluster as GKE describes it: the requirement reads its network, the node-account lookup its nodes. */
export function describeCluster({ cluster }: GcpConfig, names: Names): Command {
  return gcloudRead(
    names.clusterProject,
    'container',
    'clusters',
    'describe',
    cluster.name,
    `--location=${cluster.location}`,
  );
}

export function requirements(config: GcpConfig, names: Names): Action[] {
  const { project, cluster, network, region, github } = config;
  return [
    // First: Service Usage is on in every project, while `projects describe` needs Cloud Resource Manager.
    {
      id: 'enable apis',
      kind: 'enable',
      description: `Enable the ${APIS.length} APIs the pipeline uses`,
      read: { argv: ['gcloud', 'services', 'list', '--enabled', `--project=${project}`, '--format=json'] },
      diff: (list) => {
        const enabled = new Set((Array.isArray(list) ? list : []).map((s) => at(s, 'config.name')));
        const missing = APIS.filter((api) => !enabled.has(api));
        return missing.length ? [`not enabled: ${missing.join(', ')}`] : [];
      },
      update: { argv: ['gcloud', 'services', 'enable', ...APIS, `--project=${project}`] },
    },
    {
      id: 'require project',
      kind: 'require',
      description: `The project ${project} exists and this account can administer it`,
      read: { argv: ['gcloud', 'projects', 'describe', project, '--format=json'] },
      diff: (p) => compareFields([['lifecycleState', 'ACTIVE', at(p, 'lifecycleState')]]),
      hint: `check the project id, then sign in with an account that owns it: gcloud auth login`,
    },
    {
      id: 'require cluster',
      kind: 'require',
      description: `The GKE cluster ${cluster.name} (${cluster.location}) exists, on the VPC network ${network.name}`,
      read: describeCluster(config, names),
      diff: (c) => compareFields([['network', network.name, at(c, 'network')]]),
      hint: `create the cluster first (docs/gcp.md), or set cluster.name, cluster.location and network.name to the cluster's`,
    },
    {
      id: 'require subnet',
      kind: 'require',
      description: `The subnet ${network.subnet} of ${network.name} in ${region} exists (the load-test job's VPC egress)`,
      read: gcloudRead(project, 'compute', 'networks', 'subnets', 'describe', network.subnet, `--region=${region}`),
      diff: (s) =>
        compareFields([
          [
            'network',
            network.name,
            String(at(s, 'network') ?? '')
              .split('/')
              .pop(),
          ],
        ]),
      hint: `set network.subnet to a subnet of ${network.name} in ${region} with a /26 or larger range free`,
    },
    ...(github.tokenSecret ? [tokenRequirement(project, github.tokenSecret)] : []),
  ];
}
