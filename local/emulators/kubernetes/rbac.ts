import { MASTERS, type UserInfo } from './authentication.js';
import type { KubeObject, ObjectStore } from './object-store.js';
import type { NonResourceRequest, RequestInfo, ResourceRequest } from './request-info.js';

/**
 * The RBAC authorizer, as kube-apiserver's: a request is allowed when a RoleBinding in its namespace or a
 * ClusterRoleBinding names the user (or one of its groups, or its service account) and the Role or ClusterRole
 * it refers to has a rule for the verb, API group, resource (with subresource) and name. Members of
 * system:masters are allowed everything, and every signed-in user may read discovery (system:discovery).
 * Refusals carry the message and details kube-apiserver gives.
 */

const RBAC = 'rbac.authorization.k8s.io/v1';

interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}

/** The bootstrap ClusterRole system:discovery and its binding to system:authenticated. */
const DISCOVERY: PolicyRule = {
  verbs: ['get'],
  nonResourceURLs: [
    '/api',
    '/api/*',
    '/apis',
    '/apis/*',
    '/healthz',
    '/livez',
    '/openapi',
    '/openapi/*',
    '/readyz',
    '/version',
    '/version/',
  ],
};
const DISCOVERY_GROUP = 'system:authenticated';

const has = (values: string[] | undefined, value: string) => (values ?? []).some((v) => v === '*' || v === value);

function resourceMatches(rule: PolicyRule, r: ResourceRequest): boolean {
  const combined = r.subresource ? `${r.resource}/${r.subresource}` : r.resource;
  const resources = rule.resources ?? [];
  const resourceOk = resources.some(
    (v) => v === '*' || v === combined || (r.subresource !== '' && v === `*/${r.subresource}`),
  );
  const names = rule.resourceNames ?? [];
  return (
    has(rule.verbs, r.verb) &&
    has(rule.apiGroups, r.apiGroup) &&
    resourceOk &&
    (names.length === 0 || names.includes(r.name))
  );
}

function nonResourceMatches(rule: PolicyRule, r: NonResourceRequest): boolean {
  const urls = rule.nonResourceURLs ?? [];
  // A trailing `*` is a prefix match; only a ClusterRole bound cluster-wide reaches here.
  const urlOk = urls.some((u) => u === '*' || u === r.path || (u.endsWith('*') && r.path.startsWith(u.slice(0, -1))));
  return has(rule.verbs, r.verb) && urlOk;
}

function bindsUser(binding: KubeObject, user: UserInfo): boolean {
  const subjects = (binding.subjects as Subject[] | undefined) ?? [];
  return subjects.some(
    (s) =>
      (s.kind === 'User' && s.name === user.name) ||
      (s.kind === 'Group' && s.name !== undefined && user.groups.includes(s.name)) ||
      (s.kind === 'ServiceAccount' && user.name === `system:serviceaccount:${s.namespace ?? ''}:${s.name ?? ''}`),
  );
}

/** The rules of the role a binding refers to; none when the role does not exist (yet), as in Kubernetes. */
function rulesOf(store: ObjectStore, binding: KubeObject): PolicyRule[] {
  const ref = binding.roleRef as { kind?: string; name?: string } | undefined;
  if (!ref?.name || (ref.kind !== 'Role' && ref.kind !== 'ClusterRole')) return [];
  const namespace = ref.kind === 'Role' ? binding.metadata.namespace : undefined;
  const role = store.get({ apiVersion: RBAC, kind: ref.kind, namespace, name: ref.name });
  return (role?.rules as PolicyRule[] | undefined) ?? [];
}

/** Every rule that applies to the user in a namespace ('' for cluster-scoped and non-resource requests). */
function rulesFor(store: ObjectStore, user: UserInfo, namespace: string): PolicyRule[] {
  const bindings = store.list(RBAC, 'ClusterRoleBinding');
  // RoleBindings grant only inside their namespace; a ClusterRole's nonResourceURLs mean nothing there.
  const local = namespace
    ? store
        .list(RBAC, 'RoleBinding', namespace)
        .flatMap((b) => (bindsUser(b, user) ? rulesOf(store, b).map((rule) => ({ ...rule, nonResourceURLs: [] })) : []))
    : [];
  const discovery = user.groups.includes(DISCOVERY_GROUP) ? [DISCOVERY] : [];
  return [...discovery, ...bindings.flatMap((b) => (bindsUser(b, user) ? rulesOf(store, b) : [])), ...local];
}

export function authorized(store: ObjectStore, user: UserInfo, request: RequestInfo): boolean {
  if (user.groups.includes(MASTERS)) return true;
  if (request.kind === 'nonResource') return rulesFor(store, user, '').some((r) => nonResourceMatches(r, request));
  return rulesFor(store, user, request.namespace).some((r) => resourceMatches(r, request));
}

export interface Forbidden {
  message: string;
  details: { name?: string; group?: string; kind?: string };
}

/** responsewriters.Forbidden with apierrors.NewForbidden: `deployments.apps "web" is forbidden: User ...`. */
export function forbidden(user: UserInfo, request: RequestInfo): Forbidden {
  if (request.kind === 'nonResource') {
    return { message: `forbidden: User "${user.name}" cannot ${request.verb} path "${request.path}"`, details: {} };
  }
  const { verb, apiGroup, resource, subresource, namespace, name } = request;
  const what = subresource ? `${resource}/${subresource}` : resource;
  const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
  const reason = `User "${user.name}" cannot ${verb} resource "${what}" in API group "${apiGroup}" ${scope}`;
  const qualified = apiGroup ? `${resource}.${apiGroup}` : resource;
  return {
    message: `${qualified}${name ? ` "${name}"` : ''} is forbidden: ${reason}`,
    details: { ...(name ? { name } : {}), ...(apiGroup ? { group: apiGroup } : {}), kind: resource },
  };
}
