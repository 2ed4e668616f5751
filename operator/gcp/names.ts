import { SERVICE_ACCOUNTS, type AccountKey } from '../../shared/wiring.js';
import type { GcpConfig } from './config-schema.js';

/**
 * The names of everything the plan creates, derived from the config in one place. The service accounts are
 * shared/wiring.ts's.
 */

export const DEAD_LETTER_TOPIC = 'modelship-dead-letter';
export const KUBE_ROLE = 'modelship-deployer';
/** Label on functions: the hash of the source they were deployed from, so an unchanged source is not redeployed. */
export const SOURCE_LABEL = 'modelship-source';

export interface Names {
  email(account: AccountKey): string;
  member(account: AccountKey): string;
  /** `projects/P/serviceAccounts/EMAIL`, as Cloud Build and Cloud Functions name a build's identity. */
  accountPath(account: AccountKey): string;
  clusterProject: string;
  /** projects/P/locations/L/clusters/C, as @google-cloud/container names it. */
  clusterPath: string;
  jobPath: string;
  deadLetterTopicPath: string;
  /** Where baked images go (TARGET_IMAGE_REPOSITORY): `REGION-docker.pkg.dev/PROJECT/REPO/MODEL`. */
  modelImage: string;
  /** The images of cloudbuild/load-tester.yaml: the bake steps' tools (run as root), and the load-test job's. */
  toolImage: string;
  loadTestImage: string;
  firestoreLocation: string;
  webhookFunction: string;
}

export function resourceNames(config: GcpConfig): Names {
  const { project, region } = config;
  const email = (account: AccountKey) => `${SERVICE_ACCOUNTS[account].id}@${project}.iam.gserviceaccount.com`;
  const clusterProject = config.cluster.project ?? project;
  return {
    email,
    member: (account) => `serviceAccount:${email(account)}`,
    accountPath: (account) => `projects/${project}/serviceAccounts/${email(account)}`,
    clusterProject,
    clusterPath: `projects/${clusterProject}/locations/${config.cluster.location}/clusters/${config.cluster.name}`,
    jobPath: `projects/${project}/locations/${region}/jobs/${config.loadTest.job}`,
    deadLetterTopicPath: `projects/${project}/topics/${DEAD_LETTER_TOPIC}`,
    modelImage: `${region}-docker.pkg.dev/${project}/${config.registry.models}/${config.model.name}`,
    toolImage: `${region}-docker.pkg.dev/${project}/${config.registry.pipeline}/modelship`,
    loadTestImage: `${region}-docker.pkg.dev/${project}/${config.registry.pipeline}/load-tester`,
    firestoreLocation: config.firestore.location ?? region,
    webhookFunction: 'modelship-webhook',
  };
}
