import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../../operator/gcp/build-plan.js';
import { parseGcpConfig } from '../../../../operator/gcp/load-gcp-config.js';
import { nodeServiceAccount } from '../../../../operator/gcp/node-account.js';
import { PlanSession } from '../../../../operator/gcp/plan-session.js';
import { packageRoot } from '../../../../shared/paths.js';

const text = readFileSync(join(packageRoot, 'modelship.config.example.yaml'), 'utf8');
const config = parseGcpConfig(text, 'example.yaml', { scenarios: ['2n-8c-16r-interop4'] });
const inputs = { sourceDir: '.', sourceHash: '0123456789abcdef', stateDir: '.modelship/gcp' };
const READER = 'roles/artifactregistry.reader';
const nodesGrant = (plan: ReturnType<typeof buildPlan>) =>
  plan.actions.find((a) => a.id.startsWith(`iam repository modelship-models ${READER}`));

/** `gcloud container clusters describe` of a cluster whose pools run as the Compute Engine default account. */
const defaultCluster = {
  name: 'tfserving',
  nodeConfig: { serviceAccount: 'default' },
  nodePools: [
    { name: 'default-pool', config: { serviceAccount: 'default' } },
    { name: 'tfs-n2-custom-8-16384', config: { serviceAccount: 'default' } },
  ],
};

describe("the GKE nodes' service account", () => {
  it('reads `default` as the Compute Engine default account of the project', () => {
    expect(nodeServiceAccount(defaultCluster, 'PROJECT_NUMBER')).toBe(
      '${PROJECT_NUMBER}-compute@developer.gserviceaccount.com',
    );
  });

  it('takes an account the pools name, and refuses to guess between several', () => {
    const nodes = 'gke-nodes@my-project.iam.gserviceaccount.com';
    const custom = { nodePools: [{ config: { serviceAccount: nodes } }] };
    expect(nodeServiceAccount(custom, 'PROJECT_NUMBER')).toBe(nodes);
    const mixed = { nodePools: [...defaultCluster.nodePools, { config: { serviceAccount: nodes } }] };
    expect(() => nodeServiceAccount(mixed, 'PROJECT_NUMBER')).toThrow(/several service accounts.*nodeServiceAccount/);
    expect(() => nodeServiceAccount({}, 'PROJECT_NUMBER')).toThrow(/names no node service account/);
  });

  it('is always granted pull on the models repository, as read from the cluster', async () => {
    const plan = buildPlan(config, inputs);
    const grant = nodesGrant(plan);
    expect(grant?.create?.argv).toContain('--member=serviceAccount:${NODE_SERVICE_ACCOUNT}');
    expect(plan.lookups.NODE_SERVICE_ACCOUNT?.command.argv).toEqual([
      'gcloud',
      'container',
      'clusters',
      'describe',
      'tfserving',
      '--location=us-central1-a',
      '--project=my-project',
      '--format=json',
    ]);
    const outputs: Record<string, string> = {
      'container clusters describe': JSON.stringify(defaultCluster),
      'projects describe': '123456789012\n',
    };
    const session = new PlanSession(plan, {
      run: async (argv) => ({
        code: 0,
        stdout: outputs[argv.slice(1, 4).join(' ')] ?? outputs[argv.slice(1, 3).join(' ')] ?? '',
        stderr: '',
      }),
      newSecret: () => 'unused',
      sleep: async () => undefined,
    });
    expect(await session.lookup('NODE_SERVICE_ACCOUNT')).toBe('123456789012-compute@developer.gserviceaccount.com');
  });

  it('is the config one when cluster.nodeServiceAccount is set, with no lookup', () => {
    const nodes = 'gke-nodes@my-project.iam.gserviceaccount.com';
    const plan = buildPlan({ ...config, cluster: { ...config.cluster, nodeServiceAccount: nodes } }, inputs);
    expect(nodesGrant(plan)?.create?.argv).toContain(`--member=serviceAccount:${nodes}`);
  });
});
