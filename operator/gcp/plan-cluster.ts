import { stringify } from 'yaml';
import type { Action, Lookup } from './action.js';
import type { GcpConfig } from './config-schema.js';
import { at, compareFields } from './json-path.js';
import { KUBE_ROLE, type Names } from './names.js';

/**
 * The deployer's rights inside the cluster. IAM gives it only roles/container.clusterViewer (read the cluster,
 * sign in); what it may change is this Kubernetes Role in one namespace: server-side apply of its Deployment,
 * Services and ConfigMap (apply creates what is missing, so create and patch), deleting them (a candidate is torn
 * down once measured; its pods go with its Deployment, by the garbage collector, so no delete on pods), and reading
 * the rollout (the Deployment's status, the pods). roles/container.developer would also work, but on every namespace of every
 * cluster in the project, Secrets included.
 */

const KUBECONFIG_LOOKUP = 'KUBECONFIG_FILE';

const RULES = [
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['services', 'configmaps'], verbs: ['get', 'create', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
];

export function rbacManifests(config: GcpConfig, names: Names): object[] {
  const namespace = config.cluster.namespace;
  const metadata = { name: KUBE_ROLE, namespace, labels: { 'app.kubernetes.io/managed-by': 'modelship' } };
  const objects: object[] = [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata, rules: RULES },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: KUBE_ROLE },
      // GKE names a Google service account signing in to the Kubernetes API by its email.
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: names.email('deployer') }],
    },
  ];
  if (namespace === 'default') return objects;
  return [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, ...objects];
}

/** Cluster credentials in a kubeconfig of modelship's own, so the person's kubectl context is left alone. */
export function kubeconfigLookup(config: GcpConfig, names: Names, stateDir: string): Lookup {
  const file = `${stateDir}/kubeconfig`;
  return {
    name: KUBECONFIG_LOOKUP,
    description: `credentials of ${config.cluster.name} written to ${file}`,
    command: {
      argv: [
        'gcloud',
        'container',
        'clusters',
        'get-credentials',
        config.cluster.name,
        `--location=${config.cluster.location}`,
        `--project=${names.clusterProject}`,
      ],
      env: { KUBECONFIG: file },
    },
    value: file,
  };
}

export function clusterActions(config: GcpConfig, names: Names): Action[] {
  const { namespace } = config.cluster;
  const kubectl = (...argv: string[]) => ['kubectl', `--kubeconfig=\${${KUBECONFIG_LOOKUP}}`, ...argv];
  const manifests = rbacManifests(config, names);
  const apply = {
    argv: kubectl('apply', '--server-side', '--field-manager=modelship', '--filename=-'),
    stdin: { text: manifests.map((m) => stringify(m)).join('---\n') },
  };
  return [
    {
      id: 'kubernetes rbac',
      kind: 'iam',
      description: `Kubernetes Role and RoleBinding ${KUBE_ROLE} in namespace ${namespace}: the deployer's rights in the cluster`,
      read: {
        argv: kubectl(
          'get',
          `role/${KUBE_ROLE}`,
          `rolebinding/${KUBE_ROLE}`,
          `--namespace=${namespace}`,
          '--output=json',
        ),
      },
      diff: (list) => {
        const items = (at(list, 'items') as unknown[] | undefined) ?? [];
        const role = items.find((i) => at(i, 'kind') === 'Role');
        const binding = items.find((i) => at(i, 'kind') === 'RoleBinding');
        return compareFields([
          ['Role rules', RULES, at(role, 'rules')],
          ['RoleBinding subjects', at(manifests.at(-1), 'subjects'), at(binding, 'subjects')],
        ]);
      },
      create: apply,
      update: apply,
    },
  ];
}
