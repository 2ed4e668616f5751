import { fillPlaceholders, type Action } from './action.js';
import { at } from './json-path.js';
import { NODE_ACCOUNT_LOOKUP } from './node-account.js';

/**
 * IAM bindings, granted on the narrowest resource that carries the permission: a topic, a secret, a repository,
 * a bucket, a service account, a job or a function rather than the project whenever the service allows it.
 * Each resource kind reads and extends its policy with its own gcloud commands (add-iam-policy-binding adds one
 * member to one role and leaves the rest of the policy alone, so apply never removes what others granted).
 */

export type IamTarget =
  | { kind: 'project'; project: string }
  | { kind: 'topic'; name: string }
  | { kind: 'subscription'; name: string }
  | { kind: 'secret'; name: string }
  | { kind: 'repository'; name: string; location: string }
  | { kind: 'bucket'; name: string }
  | { kind: 'service-account'; email: string }
  | { kind: 'job'; name: string; region: string }
  | { kind: 'function'; name: string; region: string };

export interface Grant {
  /** `serviceAccount:EMAIL`, `allUsers`, ... */
  member: string;
  role: string;
  on: IamTarget;
  why: string;
}

interface PolicyCommands {
  label: string;
  read: string[];
  add: (member: string, role: string) => string[];
}

function policyCommands(target: IamTarget, project: string): PolicyCommands {
  const p = `--project=${project}`;
  const generic = (label: string, group: string[], name: string, flags: string[] = []): PolicyCommands => ({
    label,
    read: ['gcloud', ...group, 'get-iam-policy', name, ...flags, p, '--format=json'],
    add: (member, role) => [
      'gcloud',
      ...group,
      'add-iam-policy-binding',
      name,
      ...flags,
      p,
      `--member=${member}`,
      `--role=${role}`,
    ],
  });
  switch (target.kind) {
    case 'project':
      return {
        label: `project ${target.project}`,
        read: ['gcloud', 'projects', 'get-iam-policy', target.project, '--format=json'],
        // --condition=None: without it gcloud prompts when the policy already has conditional bindings.
        add: (member, role) => [
          'gcloud',
          'projects',
          'add-iam-policy-binding',
          target.project,
          `--member=${member}`,
          `--role=${role}`,
          '--condition=None',
        ],
      };
    case 'topic':
      return generic(`topic ${target.name}`, ['pubsub', 'topics'], target.name);
    case 'subscription':
      return generic(`subscription ${target.name}`, ['pubsub', 'subscriptions'], target.name);
    case 'secret':
      return generic(`secret ${target.name}`, ['secrets'], target.name);
    case 'repository':
      return generic(`repository ${target.name}`, ['artifacts', 'repositories'], target.name, [
        `--location=${target.location}`,
      ]);
    case 'bucket':
      return generic(`bucket gs://${target.name}`, ['storage', 'buckets'], `gs://${target.name}`);
    case 'service-account':
      return generic(`service account ${target.email}`, ['iam', 'service-accounts'], target.email);
    case 'job':
      return generic(`Cloud Run job ${target.name}`, ['run', 'jobs'], target.name, [`--region=${target.region}`]);
    case 'function':
      // A 2nd gen function is a Cloud Run service of the same name: its invoker role lives there.
      return {
        label: `function ${target.name}`,
        read: [
          'gcloud',
          'run',
          'services',
          'get-iam-policy',
          target.name,
          `--region=${target.region}`,
          p,
          '--format=json',
        ],
        add: (member) => [
          'gcloud',
          'functions',
          'add-invoker-policy-binding',
          target.name,
          `--region=${target.region}`,
          p,
          `--member=${member}`,
        ],
      };
  }
}

/** A member as people call it: the service account's id, the Pub/Sub service agent, allUsers. */
export function principalLabel(member: string): string {
  if (member.includes('@gcp-sa-pubsub.')) return 'the Pub/Sub service agent';
  if (member.includes(`\${${NODE_ACCOUNT_LOOKUP}}`)) return "the GKE nodes' service account";
  return member.replace(/^serviceAccount:/, '').replace(/@.*$/, '');
}

export function targetLabel(target: IamTarget): string {
  return policyCommands(target, '').label;
}

/** Whether an IAM policy (as get-iam-policy prints it) gives `member` the role without a condition. */
function hasBinding(policy: unknown, member: string, role: string): boolean {
  const bindings = at(policy, 'bindings');
  if (!Array.isArray(bindings)) return false;
  return bindings.some(
    (b: unknown) =>
      at(b, 'role') === role &&
      at(b, 'condition') === undefined &&
      (at(b, 'members') as unknown[] | undefined)?.includes(member),
  );
}

export function grantAction(grant: Grant, project: string): Action {
  const commands = policyCommands(grant.on, project);
  return {
    id: `iam ${commands.label} ${grant.role} ${grant.member}`,
    kind: 'iam',
    description: `${principalLabel(grant.member)} gets ${grant.role} on ${commands.label}: ${grant.why}`,
    read: { argv: commands.read },
    diff: (policy, values) => {
      const member = fillPlaceholders(grant.member, values);
      return hasBinding(policy, member, grant.role) ? [] : [`${member} lacks ${grant.role}`];
    },
    create: { argv: commands.add(grant.member, grant.role) },
    update: { argv: commands.add(grant.member, grant.role) },
  };
}
