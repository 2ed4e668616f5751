import type { Action, Lookup, Plan } from './action.js';
import type { GcpConfig } from './config-schema.js';
import { functionSpecs } from './function-specs.js';
import { gcloudValue } from './gcloud-args.js';
import { grantAction } from './iam.js';
import { grants, subscriptionGrant } from './grants.js';
import { resourceNames } from './names.js';
import { nodeAccountLookups } from './node-account.js';
import { baseImageActions, baseImageLookups } from './plan-base-image.js';
import { clusterActions, kubeconfigLookup } from './plan-cluster.js';
import { foundationActions } from './plan-foundation.js';
import { requirements } from './plan-requirements.js';
import { functionActions, subscriptionLookupName, subscriptionLookups } from './plan-functions.js';
import { digestLookups, gcraneLookups, imageActions, imageByDigest, imageRefs, type ImageRefs } from './plan-images.js';
import { loadTestJobAction } from './plan-load-test.js';

/**
 * The whole plan, in the order apply runs it: prerequisites and APIs, then storage, messaging and identities,
 * the rights on them, the cluster's RBAC, the images and the load-test job, the functions, and last what exists
 * only once the functions do (their invoker rights and the subscriptions Eventarc made). Building it reads nothing:
 * `plan` works offline and prints exactly what `apply` would run.
 */

export interface PlanInputs {
  /** The directory deployed as the functions' source and built into the images. */
  sourceDir: string;
  /** The hash of that source (see source-hash.ts). */
  sourceHash: string;
  /** Where apply keeps local files (the cluster's kubeconfig). */
  stateDir: string;
  /** The images built elsewhere (CI); otherwise apply builds them. */
  images?: ImageRefs;
}

const PROJECT_NUMBER_LOOKUP = 'PROJECT_NUMBER';
export const WEBHOOK_URL_LOOKUP = 'WEBHOOK_URL';

export function buildPlan(config: GcpConfig, inputs: PlanInputs): Plan {
  const names = resourceNames(config);
  const images = imageRefs(config, names, inputs);
  const specs = functionSpecs(config, names, imageByDigest(images, 'tool'));
  const all = grants(config, names, specs).map((grant) => ({ grant, action: grantAction(grant, config.project) }));
  const grantsOn = (...kinds: string[]) => all.filter((g) => kinds.includes(g.grant.on.kind)).map((g) => g.action);
  const { deploys, subscriptions } = functionActions(config, names, specs, inputs);
  const events = specs.filter((f) => f.trigger !== 'http');

  const actions: Action[] = [
    ...requirements(config, names),
    ...foundationActions(config, names),
    ...grantsOn('project', 'topic', 'secret', 'repository', 'bucket', 'service-account'),
    ...baseImageActions(config, names, inputs.sourceDir),
    ...clusterActions(config, names),
    ...imageActions(config, names, inputs, images),
    loadTestJobAction(config, names, imageByDigest(images, 'loadTester')),
    ...grantsOn('job'),
    ...deploys,
    ...grantsOn('function'),
    ...events.flatMap((f, i) => [
      subscriptions[i] as Action,
      grantAction(subscriptionGrant(`\${${subscriptionLookupName(f)}}`, f.entryPoint), config.project),
    ]),
  ];

  const lookups: Lookup[] = [
    {
      name: PROJECT_NUMBER_LOOKUP,
      description: `the number of project ${config.project}`,
      command: { argv: ['gcloud', 'projects', 'describe', config.project, '--format=value(projectNumber)'] },
    },
    {
      name: WEBHOOK_URL_LOOKUP,
      description: 'the URL of the webhook function',
      command: gcloudValue(
        config.project,
        'url',
        'functions',
        'describe',
        names.webhookFunction,
        '--gen2',
        `--region=${config.region}`,
      ),
    },
    kubeconfigLookup(config, names, inputs.stateDir),
    ...digestLookups(config, images),
    ...gcraneLookups(config),
    ...baseImageLookups(config),
    ...nodeAccountLookups(config, names),
    ...events.flatMap((f) => subscriptionLookups(config, f)),
  ];
  return { actions, lookups: Object.fromEntries(lookups.map((l) => [l.name, l])) };
}
