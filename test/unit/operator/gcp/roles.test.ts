import { describe, expect, it } from 'vitest';
import { documentedGrants } from '../../../../operator/gcp/grants.js';
import { ROLE_PERMISSIONS } from '../../../../operator/gcp/roles.js';
import { localGcpConfig } from '../../../../local/local-gcp-config.js';

/** What the pipeline's code calls, by the role the plan grants for it (grants.ts says why). */
const NEEDED: Record<string, string[]> = {
  'roles/pubsub.publisher': ['pubsub.topics.publish'],
  'roles/pubsub.subscriber': ['pubsub.subscriptions.consume'],
  'roles/datastore.user': [
    'datastore.entities.get',
    'datastore.entities.list',
    'datastore.entities.create',
    'datastore.entities.update',
    'datastore.entities.delete',
    'datastore.databases.get',
  ],
  'roles/cloudbuild.builds.editor': ['cloudbuild.builds.create', 'cloudbuild.builds.get', 'cloudbuild.builds.list'],
  'roles/iam.serviceAccountUser': ['iam.serviceAccounts.actAs'],
  'roles/run.jobsExecutorWithOverrides': ['run.jobs.run', 'run.jobs.runWithOverrides'],
  'roles/run.invoker': ['run.routes.invoke'],
  'roles/storage.objectUser': ['storage.objects.create', 'storage.objects.get', 'storage.objects.delete'],
  'roles/secretmanager.secretAccessor': ['secretmanager.versions.access'],
  'roles/artifactregistry.reader': ['artifactregistry.repositories.downloadArtifacts'],
  'roles/artifactregistry.writer': ['artifactregistry.repositories.uploadArtifacts'],
  'roles/logging.logWriter': ['logging.logEntries.create'],
  'roles/container.clusterViewer': ['container.clusters.get'],
  'roles/run.developer': ['run.jobs.update', 'run.jobs.get'],
  'roles/cloudfunctions.developer': ['cloudfunctions.functions.update'],
};

describe('ROLE_PERMISSIONS', () => {
  it('knows every role the plan grants', () => {
    const granted = new Set(documentedGrants(localGcpConfig('local-proj')).map((g) => g.role));
    expect([...granted].filter((role) => !ROLE_PERMISSIONS[role])).toEqual([]);
  });

  it.each(Object.entries(NEEDED))('%s carries what the pipeline needs of it', (role, permissions) => {
    expect(ROLE_PERMISSIONS[role]).toEqual(expect.arrayContaining(permissions));
  });

  it('keeps overrides out of the plain executor and the invoker, and reading jobs out of both executors', () => {
    for (const role of ['roles/run.jobsExecutor', 'roles/run.invoker']) {
      expect(ROLE_PERMISSIONS[role]).toContain('run.jobs.run');
      expect(ROLE_PERMISSIONS[role]).not.toContain('run.jobs.runWithOverrides');
    }
    for (const role of ['roles/run.jobsExecutor', 'roles/run.jobsExecutorWithOverrides']) {
      expect(ROLE_PERMISSIONS[role]).not.toContain('run.jobs.get');
    }
    expect(ROLE_PERMISSIONS['roles/storage.objectCreator']).not.toContain('storage.objects.get');
  });
});
