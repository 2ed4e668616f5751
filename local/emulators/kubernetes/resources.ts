/**
 * The part of the Kubernetes API the emulator serves: its resources and their discovery documents, which clients
 * (@kubernetes/client-node's KubernetesObjectApi, kubectl) read to turn an apiVersion and kind into a URL.
 */

export interface Resource {
  group: string;
  version: string;
  kind: string;
  /** The plural, as it appears in URLs. */
  plural: string;
  namespaced: boolean;
  /** Whether clients may apply it; pods are made by the controller only. */
  applicable: boolean;
  /** A DELETE answers with the object (kube-apiserver's ReturnDeletedObject), not a Status. */
  deleteReturnsObject?: boolean;
  shortNames?: string[];
}

export const RESOURCES: readonly Resource[] = [
  {
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    plural: 'configmaps',
    namespaced: true,
    applicable: true,
    shortNames: ['cm'],
  },
  {
    group: '',
    version: 'v1',
    kind: 'Service',
    plural: 'services',
    namespaced: true,
    applicable: true,
    deleteReturnsObject: true,
    shortNames: ['svc'],
  },
  {
    group: '',
    version: 'v1',
    kind: 'Pod',
    plural: 'pods',
    namespaced: true,
    applicable: false,
    deleteReturnsObject: true,
    shortNames: ['po'],
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    plural: 'deployments',
    namespaced: true,
    applicable: true,
    shortNames: ['deploy'],
  },
  // What `modelship gcp plan` applies to give the deployer its rights, and what the API server authorizes by.
  ...(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'] as const).map((kind) => ({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind,
    plural: `${kind.toLowerCase()}s`,
    namespaced: !kind.startsWith('Cluster'),
    applicable: true,
  })),
];

export const groupVersion = (r: Pick<Resource, 'group' | 'version'>): string =>
  r.group ? `${r.group}/${r.version}` : r.version;

export function findResource(gv: string, plural: string): Resource | undefined {
  return RESOURCES.find((r) => groupVersion(r) === gv && r.plural === plural);
}

/** GET /api/v1, GET /apis/apps/v1. */
export function apiResourceList(gv: string): Record<string, unknown> | undefined {
  const resources = RESOURCES.filter((r) => groupVersion(r) === gv);
  if (resources.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv,
    resources: resources.flatMap((r) => [
      {
        name: r.plural,
        singularName: r.kind.toLowerCase(),
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: r.applicable ? ['delete', 'get', 'list', 'patch'] : ['delete', 'get', 'list'],
        ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      },
      { name: `${r.plural}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get'] },
    ]),
  };
}

/** GET /api */
export const apiVersions = (serverAddress: string) => ({
  kind: 'APIVersions',
  versions: ['v1'],
  serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
});

/** GET /apis */
export function apiGroupList(): Record<string, unknown> {
  const groups = [...new Set(RESOURCES.filter((r) => r.group).map((r) => r.group))];
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map((name) => {
      const versions = [...new Set(RESOURCES.filter((r) => r.group === name).map((r) => r.version))].map((version) => ({
        groupVersion: `${name}/${version}`,
        version,
      }));
      return { name, versions, preferredVersion: versions[0] };
    }),
  };
}

/** GET /version: what kubectl asks first. */
export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0+modelship-emulator',
  platform: 'linux/amd64',
};
