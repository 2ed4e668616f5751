import { formatCommand, type Command } from './action.js';
import type { CommandRunner } from './command-runner.js';
import type { GcpConfig } from './config-schema.js';
import { at } from './json-path.js';
import type { Names } from './names.js';

/**
 * Domain restricted sharing: organizations created since May 2024 enforce iam.allowedPolicyMemberDomains (or its
 * managed successor iam.managed.allowedPolicyMembers), which refuses allUsers, the webhook's invoker. `plan` reads
 * the effective policies and, when they refuse it, says so with the two ways out Google documents. Reading a policy
 * needs rights the person may not have: a failed read is a note, not an error.
 */

const LEGACY = 'iam.allowedPolicyMemberDomains';
const MANAGED = 'iam.managed.allowedPolicyMembers';
const DOCS = [
  'https://cloud.google.com/resource-manager/docs/organization-policy/restricting-domains',
  'https://cloud.google.com/run/docs/authenticating/public',
];

export function policyRead(project: string, constraint: string): Command {
  return {
    argv: ['gcloud', 'org-policies', 'describe', constraint, '--effective', `--project=${project}`, '--format=json'],
  };
}

/** Whether the effective policy of the constraint (as `org-policies describe --effective` prints it) refuses allUsers. */
export function refusesAllUsers(constraint: string, policy: unknown): boolean {
  const rules = (at(policy, 'spec.rules') as unknown[] | undefined) ?? [];
  if (constraint === MANAGED) {
    return rules.some((r) => {
      const allowed = (at(r, 'parameters.allowedMemberSubjects') as unknown[] | undefined) ?? [];
      return at(r, 'enforce') === true && !allowed.includes('allUsers');
    });
  }
  // A list constraint: allowAll lets anyone in; allowed values (customer ids) or denyAll keep allUsers out.
  if (rules.some((r) => at(r, 'allowAll') === true)) return false;
  return rules.some((r) => at(r, 'denyAll') === true || at(r, 'values') !== undefined);
}

export async function publicAccessWarning(config: GcpConfig, names: Names, run: CommandRunner): Promise<string[]> {
  const { project, region } = config;
  const refusing: string[] = [];
  for (const constraint of [LEGACY, MANAGED]) {
    const read = policyRead(project, constraint);
    const result = await run(read.argv);
    if (result.code !== 0) {
      // gcloud's first ERROR line says why; later lines are advice that reads oddly out of context.
      const reason =
        result.stderr
          .trim()
          .split('\n')[0]
          ?.replace(/^ERROR: \([^)]*\) /, '') ?? '';
      return [
        `Note: could not read the organization policy ${constraint} (${reason}); skipped the check for allUsers.`,
      ];
    }
    if (refusesAllUsers(constraint, JSON.parse(result.stdout || 'null'))) refusing.push(constraint);
  }
  if (refusing.length === 0) return [];
  const reset = refusing.map((c) =>
    formatCommand({ argv: ['gcloud', 'org-policies', 'reset', c, `--project=${project}`] }),
  );
  const noCheck = formatCommand({
    argv: [
      'gcloud',
      'run',
      'services',
      'update',
      names.webhookFunction,
      '--no-invoker-iam-check',
      `--region=${region}`,
      `--project=${project}`,
    ],
  });
  return [
    `WARNING: the organization policy ${refusing.join(' and ')} refuses allUsers: apply will stop at the webhook's`,
    'allUsers invoker grant (GitHub cannot sign in to Google). Let this project allow allUsers (needs',
    'roles/orgpolicy.policyAdmin on the organization), then apply:',
    ...reset.map((c) => `  ${c}`),
    "Where that is refused, Cloud Run's documented way is to turn off the webhook's invoker check (the webhook still",
    'checks every signature); apply does not do this itself:',
    `  ${noCheck}`,
    ...DOCS.map((d) => `  see ${d}`),
  ];
}
