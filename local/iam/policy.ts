import type { Grant, IamTarget } from '../../operator/gcp/iam.js';
import { ROLE_PERMISSIONS } from '../../operator/gcp/roles.js';

/**
 * The IAM policy of the project the local stack stands for: the plan's grants, evaluated as Google does. A resource
 * is a full resource name (`projects/P/topics/T`, `projects/_/buckets/B`, `projects/-/serviceAccounts/EMAIL`, ...);
 * a role granted on a resource covers everything under it, and the project covers all of it (IAM inheritance).
 */
export interface Policy {
  allows(member: string, permission: string, resource: string): boolean;
}

/** The full resource name of a grant's target. */
export function resourceName(target: IamTarget, project: string): string {
  switch (target.kind) {
    case 'project':
      return `projects/${target.project}`;
    case 'topic':
      return `projects/${project}/topics/${target.name}`;
    case 'subscription':
      return `projects/${project}/subscriptions/${target.name}`;
    case 'secret':
      return `projects/${project}/secrets/${target.name}`;
    case 'repository':
      return `projects/${project}/locations/${target.location}/repositories/${target.name}`;
    case 'bucket':
      return `projects/_/buckets/${target.name}`;
    case 'service-account':
      return `projects/-/serviceAccounts/${target.email}`;
    case 'job':
      return `projects/${project}/locations/${target.region}/jobs/${target.name}`;
    case 'function':
      return `projects/${project}/locations/${target.region}/functions/${target.name}`;
  }
}

/**
 * The resource and its ancestors, outermost last: every `collection/id` prefix. Buckets (`projects/_`) and service
 * accounts (`projects/-`) name no project; locally they all belong to the stack's project.
 */
function lineage(resource: string, project: string): string[] {
  const parts = resource.replace(/^projects\/[-_]\//, `projects/${project}/`).split('/');
  const out: string[] = [];
  for (let n = parts.length - (parts.length % 2); n >= 2; n -= 2) out.push(parts.slice(0, n).join('/'));
  return out;
}

export function createPolicy(project: string, grants: readonly Grant[]): Policy {
  const bindings = grants.map((g) => {
    const permissions = ROLE_PERMISSIONS[g.role];
    // A role we know nothing of would deny silently: fail where the grants are given instead.
    if (!permissions)
      throw new Error(`the IAM gateway does not know the role ${g.role}: add it to operator/gcp/roles.ts`);
    return { member: g.member, permissions, on: lineage(resourceName(g.on, project), project)[0] };
  });
  return {
    allows(member, permission, resource) {
      const scopes = lineage(resource, project);
      return bindings.some(
        (b) =>
          (b.member === member || b.member === 'allUsers') &&
          b.permissions.includes(permission) &&
          scopes.includes(b.on ?? ''),
      );
    },
  };
}
