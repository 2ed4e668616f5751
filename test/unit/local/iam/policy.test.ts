import { describe, expect, it } from 'vitest';
import { grants } from '../../../../operator/gcp/grants.js';
import { functionSpecs } from '../../../../operator/gcp/function-specs.js';
import type { Grant, IamTarget } from '../../../../operator/gcp/iam.js';
import { createPolicy } from '../../../../local/iam/policy.js';
import { localGcpConfig, localNames } from '../../../../local/local-gcp-config.js';
import { TOPICS } from '../../../../shared/topics.js';

const P = 'local-proj';
const alice = 'serviceAccount:alice@local-proj.iam.gserviceaccount.com';
const bob = 'serviceAccount:bob@local-proj.iam.gserviceaccount.com';
const grant = (member: string, role: string, on: IamTarget): Grant => ({ member, role, on, why: 'test' });

describe('createPolicy', () => {
  it('lets a role granted on the project cover every resource in it, and nothing in another project', () => {
    const policy = createPolicy(P, [grant(alice, 'roles/datastore.user', { kind: 'project', project: P })]);
    expect(policy.allows(alice, 'datastore.entities.get', `projects/${P}/databases/(default)`)).toBe(true);
    expect(policy.allows(alice, 'datastore.entities.get', `projects/${P}`)).toBe(true);
    expect(policy.allows(alice, 'datastore.entities.get', 'projects/other/databases/(default)')).toBe(false);
    expect(policy.allows(alice, 'pubsub.topics.publish', `projects/${P}/topics/t`)).toBe(false);
    expect(policy.allows(bob, 'datastore.entities.get', `projects/${P}/databases/(default)`)).toBe(false);
  });

  it('keeps a role granted on a resource to that resource and what is under it', () => {
    const job = { kind: 'job', name: 'lt', region: 'r' } as const;
    const policy = createPolicy(P, [grant(alice, 'roles/run.developer', job)]);
    expect(policy.allows(alice, 'run.jobs.get', `projects/${P}/locations/r/jobs/lt`)).toBe(true);
    expect(policy.allows(alice, 'run.executions.get', `projects/${P}/locations/r/jobs/lt/executions/e1`)).toBe(true);
    expect(policy.allows(alice, 'run.jobs.get', `projects/${P}/locations/r/jobs/other`)).toBe(false);
    expect(policy.allows(alice, 'run.jobs.get', `projects/${P}`)).toBe(false);
  });

  it('names each kind of target as Google does', () => {
    const policy = createPolicy(P, [
      grant(alice, 'roles/pubsub.publisher', { kind: 'topic', name: 't' }),
      grant(alice, 'roles/pubsub.subscriber', { kind: 'subscription', name: 's' }),
      grant(alice, 'roles/secretmanager.secretAccessor', { kind: 'secret', name: 'k' }),
      grant(alice, 'roles/artifactregistry.reader', { kind: 'repository', name: 'r', location: 'eu' }),
      grant(alice, 'roles/storage.objectCreator', { kind: 'bucket', name: 'b' }),
      grant(alice, 'roles/iam.serviceAccountUser', {
        kind: 'service-account',
        email: 'sa@local-proj.iam.gserviceaccount.com',
      }),
      grant(alice, 'roles/run.invoker', { kind: 'function', name: 'f', region: 'eu' }),
    ]);
    expect(policy.allows(alice, 'pubsub.topics.publish', `projects/${P}/topics/t`)).toBe(true);
    expect(policy.allows(alice, 'pubsub.subscriptions.consume', `projects/${P}/subscriptions/s`)).toBe(true);
    expect(policy.allows(alice, 'secretmanager.versions.access', `projects/${P}/secrets/k/versions/latest`)).toBe(true);
    expect(
      policy.allows(
        alice,
        'artifactregistry.repositories.downloadArtifacts',
        `projects/${P}/locations/eu/repositories/r`,
      ),
    ).toBe(true);
    expect(policy.allows(alice, 'storage.objects.create', 'projects/_/buckets/b/objects/report.json')).toBe(true);
    expect(policy.allows(alice, 'storage.objects.create', 'projects/_/buckets/other')).toBe(false);
    for (const project of ['-', P]) {
      expect(
        policy.allows(
          alice,
          'iam.serviceAccounts.actAs',
          `projects/${project}/serviceAccounts/sa@local-proj.iam.gserviceaccount.com`,
        ),
      ).toBe(true);
    }
    expect(
      policy.allows(
        alice,
        'iam.serviceAccounts.actAs',
        'projects/-/serviceAccounts/x@local-proj.iam.gserviceaccount.com',
      ),
    ).toBe(false);
    expect(policy.allows(alice, 'run.routes.invoke', `projects/${P}/locations/eu/functions/f`)).toBe(true);
    expect(policy.allows(alice, 'pubsub.topics.publish', `projects/${P}/topics/u`)).toBe(false);
  });

  it('lets allUsers stand for anyone', () => {
    const policy = createPolicy(P, [
      grant('allUsers', 'roles/run.invoker', { kind: 'function', name: 'f', region: 'eu' }),
    ]);
    expect(policy.allows(bob, 'run.routes.invoke', `projects/${P}/locations/eu/functions/f`)).toBe(true);
    expect(policy.allows(bob, 'run.jobs.runWithOverrides', `projects/${P}/locations/eu/functions/f`)).toBe(false);
  });

  it('refuses a role it does not know rather than deny its permissions silently', () => {
    expect(() => createPolicy(P, [grant(alice, 'roles/owner', { kind: 'project', project: P })])).toThrow(
      /roles\/owner.*operator\/gcp\/roles\.ts/,
    );
  });

  it("allows what the plan's grants are for, and not the neighbouring rights", () => {
    const config = localGcpConfig(P);
    const names = localNames(P);
    const policy = createPolicy(P, grants(config, names, functionSpecs(config, names, 'image')));
    const job = `projects/${P}/locations/${config.region}/jobs/${config.loadTest.job}`;
    expect(policy.allows(names.member('launcher'), 'run.jobs.runWithOverrides', job)).toBe(true);
    expect(policy.allows(names.member('webhook'), 'run.jobs.run', job)).toBe(false);
    const bakeBuild = `projects/-/serviceAccounts/${names.email('bakeBuild')}`;
    expect(policy.allows(names.member('bakeSubmitter'), 'iam.serviceAccounts.actAs', bakeBuild)).toBe(true);
    expect(policy.allows(names.member('launcher'), 'iam.serviceAccounts.actAs', bakeBuild)).toBe(false);
    expect(
      policy.allows(names.member('webhook'), 'pubsub.topics.publish', `projects/${P}/topics/${TOPICS.modelReleased}`),
    ).toBe(true);
    expect(
      policy.allows(names.member('webhook'), 'pubsub.topics.publish', `projects/${P}/topics/${TOPICS.deployRequested}`),
    ).toBe(false);
  });
});
