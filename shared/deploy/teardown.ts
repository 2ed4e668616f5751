import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from './kube-client.js';
import { objectNames, type Role } from './object-names.js';

/**
 * Removes a candidate or a baseline once it is measured: every object `renderScenario(scenario, image, {role})`
 * can create, by kind and name, so it needs neither the image nor whether the scenario batches (a ConfigMap that
 * was never made is already gone). The Services go first, so no new connection reaches pods on their way out, and
 * the ConfigMap last, after the pods that mount it. The serving deployment cannot be torn down this way.
 */

export interface TeardownInput {
  role: Exclude<Role, 'serving'>;
  scenario: string;
  namespace?: string;
}

export function teardownObjects(input: TeardownInput): KubernetesObject[] {
  const names = objectNames(input.role, input.scenario);
  const metadata = (name: string) => ({ name, namespace: input.namespace ?? 'default' });
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: metadata(names.service) },
    { apiVersion: 'v1', kind: 'Service', metadata: metadata(names.headless) },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: metadata(names.deployment) },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(names.configMap) },
  ];
}

/** Deletes what `teardownObjects` lists; returns it. Idempotent: a second teardown finds nothing and succeeds. */
export async function teardownScenario(kube: KubeClient, input: TeardownInput): Promise<KubernetesObject[]> {
  const objects = teardownObjects(input);
  await kube.delete(objects);
  return objects;
}
