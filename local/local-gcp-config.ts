import { GcpConfigSchema, type GcpConfig } from '../operator/gcp/config-schema.js';
import { resourceNames, type Names } from '../operator/gcp/names.js';

/**
 * The deploy configuration the local stack stands for: what `modelship gcp plan` would be given for a project of
 * this id. The stack runs each function and the job as the service accounts this plan names, with the grants it
 * makes, so the local stack and a real project share one set of identities and rights.
 */
export function localGcpConfig(project: string): GcpConfig {
  return GcpConfigSchema.parse({
    project,
    region: 'us-central1',
    github: { repositories: ['local/models'], tokenSecret: 'modelship-github-token' },
    cluster: { name: 'local', location: 'us-central1-a' },
    bucket: `${project}-reports`,
  });
}

export function localNames(project: string): Names {
  return resourceNames(localGcpConfig(project));
}
