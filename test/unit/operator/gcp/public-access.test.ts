import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGcpConfig } from '../../../../operator/gcp/load-gcp-config.js';
import { resourceNames } from '../../../../operator/gcp/names.js';
import { publicAccessWarning, refusesAllUsers } from '../../../../operator/gcp/public-access.js';
import { packageRoot } from '../../../../shared/paths.js';

const text = readFileSync(join(packageRoot, 'modelship.config.example.yaml'), 'utf8');
const config = parseGcpConfig(text, 'example.yaml', { scenarios: ['2n-8c-16r-interop4'] });
const LEGACY = 'iam.allowedPolicyMemberDomains';
const MANAGED = 'iam.managed.allowedPolicyMembers';

/** `gcloud org-policies describe C --effective --format=json` answering from a map of constraint → policy. */
function runner(policies: Record<string, unknown>, failure?: string) {
  const calls: string[][] = [];
  const run = async (argv: readonly string[]) => {
    calls.push([...argv]);
    if (failure) return { code: 1, stdout: '', stderr: `ERROR: (gcloud.org-policies.describe) ${failure}\n` };
    const policy = policies[argv[3] ?? ''] ?? { name: `projects/1/policies/${argv[3]}`, spec: {} };
    return { code: 0, stdout: JSON.stringify(policy), stderr: '' };
  };
  return { calls, run };
}

const customerOnly = { spec: { rules: [{ values: { allowedValues: ['C0abc123'] } }] } };

describe('domain restricted sharing', () => {
  it('reads which effective policies refuse allUsers', () => {
    expect(refusesAllUsers(LEGACY, customerOnly)).toBe(true);
    expect(refusesAllUsers(LEGACY, { spec: { rules: [{ allowAll: true }] } })).toBe(false);
    expect(refusesAllUsers(LEGACY, { spec: {} })).toBe(false);
    expect(refusesAllUsers(MANAGED, { spec: { rules: [{ enforce: true }] } })).toBe(true);
    const allowing = { spec: { rules: [{ enforce: true, parameters: { allowedMemberSubjects: ['allUsers'] } }] } };
    expect(refusesAllUsers(MANAGED, allowing)).toBe(false);
    expect(refusesAllUsers(MANAGED, { spec: { rules: [{ enforce: false }] } })).toBe(false);
  });

  it('warns with the exact commands when a policy refuses allUsers', async () => {
    const { run, calls } = runner({ [LEGACY]: customerOnly });
    const warning = (await publicAccessWarning(config, resourceNames(config), run)).join('\n');
    expect(calls[0]).toEqual([
      'gcloud',
      'org-policies',
      'describe',
      LEGACY,
      '--effective',
      '--project=my-project',
      '--format=json',
    ]);
    expect(warning).toMatch(/^WARNING: the organization policy iam.allowedPolicyMemberDomains refuses allUsers/);
    expect(warning).toContain('  gcloud org-policies reset iam.allowedPolicyMemberDomains --project=my-project');
    expect(warning).toContain(
      '  gcloud run services update modelship-webhook --no-invoker-iam-check --region=us-central1 --project=my-project',
    );
    expect(warning).toContain('https://cloud.google.com/resource-manager/docs/organization-policy/restricting-domains');
  });

  it('says nothing when no policy refuses allUsers', async () => {
    const { run } = runner({ [LEGACY]: { spec: { rules: [{ allowAll: true }] } } });
    expect(await publicAccessWarning(config, resourceNames(config), run)).toEqual([]);
  });

  it('notes, without failing, a policy it may not read', async () => {
    const { run } = runner({}, 'PERMISSION_DENIED: Permission orgpolicy.policies.get denied');
    expect(await publicAccessWarning(config, resourceNames(config), run)).toEqual([
      'Note: could not read the organization policy iam.allowedPolicyMemberDomains (PERMISSION_DENIED: Permission orgpolicy.policies.get denied); skipped the check for allUsers.',
    ]);
  });
});
