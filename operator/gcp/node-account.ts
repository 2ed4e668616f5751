import type { Lookup } from './action.js';
import type { GcpConfig } from './config-schema.js';
import { at } from './json-path.js';
import type { Names } from './names.js';
import { describeCluster } from './plan-requirements.js';

/**
 * The service account the GKE nodes pull images as, read from the cluster: the cluster's node config and each node
 * pool's. GKE writes `default` for the Compute Engine default account, PROJECT_NUMBER-compute@developer.gserviceaccount.com
 * of the cluster's project. `cluster.nodeServiceAccount` in the config overrides what the cluster says.
 */

export const NODE_ACCOUNT_LOOKUP = 'NODE_SERVICE_ACCOUNT';
const CLUSTER_PROJECT_NUMBER_LOOKUP = 'CLUSTER_PROJECT_NUMBER';
/** The lookup of the pipeline project's number (build-plan.ts). */
const PROJECT_NUMBER_LOOKUP = 'PROJECT_NUMBER';

/** The one account of the cluster's nodes, or an error naming them all when the pools differ. */
export function nodeServiceAccount(cluster: unknown, projectNumberLookup: string): string {
  const pools = (at(cluster, 'nodePools') as unknown[] | undefined) ?? [];
  const found = [at(cluster, 'nodeConfig.serviceAccount'), ...pools.map((p) => at(p, 'config.serviceAccount'))];
  const accounts = [
    ...new Set(
      found
        .filter((a): a is string => typeof a === 'string' && a !== '')
        .map((a) => (a === 'default' ? `\${${projectNumberLookup}}-compute@developer.gserviceaccount.com` : a)),
    ),
  ];
  if (accounts.length === 1 && accounts[0]) return accounts[0];
  throw new Error(
    accounts.length === 0
      ? 'the cluster names no node service account'
      : `the node pools run as several service accounts (${accounts.join(', ')}): set cluster.nodeServiceAccount to the serving pools' one`,
  );
}

export function nodeAccountLookups(config: GcpConfig, names: Names): Lookup[] {
  const { cluster, project } = config;
  const sameProject = names.clusterProject === project;
  const numberLookup = sameProject ? PROJECT_NUMBER_LOOKUP : CLUSTER_PROJECT_NUMBER_LOOKUP;
  return [
    {
      name: NODE_ACCOUNT_LOOKUP,
      description: `the service account of ${cluster.name}'s nodes (default: the Compute Engine default account)`,
      command: describeCluster(config, names),
      from: (output) => nodeServiceAccount(JSON.parse(output), numberLookup),
    },
    ...(sameProject
      ? []
      : [
          {
            name: CLUSTER_PROJECT_NUMBER_LOOKUP,
            description: `the number of project ${names.clusterProject}`,
            command: {
              argv: ['gcloud', 'projects', 'describe', names.clusterProject, '--format=value(projectNumber)'],
            },
          },
        ]),
  ];
}
