import type { GcpConfig } from './config-schema.js';

/**
 * The names of everything the plan creates, derived from the config in one place. Service accounts are one per
 * function (the two deployments of reportResults share one: same code, same needs), one for the bake builds,
 * one for the load-test job, one that Eventarc triggers authenticate as, and one for CI.
 */

export const SERVICE_ACCOUNTS = {
  webhook: { id: 'modelship-webhook', runs: 'githubWebhook' },
  bakeSubmitter: { id: 'modelship-bake-submitter', runs: 'bakeModel' },
  bakeBuild: { id: 'modelship-bake-build', runs: 'the bake builds (cloudbuild/bake-model.yaml)' },
  buildWatcher: { id: 'modelship-build-watcher', runs: 'onBuildFinished' },
  deployer: { id: 'modelship-deployer', runs: 'deployScenario' },
  launcher: { id: 'modelship-launcher', runs: 'launchLoadTest' },
  reporter: { id: 'modelship-reporter', runs: 'reportResults' },
  loadTester: { id: 'modelship-load-tester', runs: 'the load-test Cloud Run job' },
  invoker: { id: 'modelship-invoker', runs: 'the Eventarc triggers (push to the functions)' },
  ci: { id: 'modelship-ci', runs: 'cloudbuild/deploy-pipeline.yaml (CI/CD on push to main)' },
} as const;
export type AccountKey = keyof typeof SERVICE_ACCOUNTS;

export const DEAD_LETTER_TOPIC = 'modelship-dead-letter';
export const KUBE_ROLE = 'modelship-deployer';
/** Label on functions: the hash of the source they were deployed from, so an unchanged source is not redeployed. */
export const SOURCE_LABEL = 'modelship-source';

export interface Names {
  email(account: AccountKey): string;
  member(account: AccountKey): string;
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
