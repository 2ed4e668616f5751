import { fillPlaceholders, type Action } from './action.js';
import type { GcpConfig } from './config-schema.js';
import { jobEnv } from './function-specs.js';
import { gcloudRead, gcloudRun, mapFlag, seconds } from './gcloud-args.js';
import { at, compareFields, sortedRecord } from './json-path.js';
import type { Names } from './names.js';

/**
 * The load-test Cloud Run job. It runs the load-test image (plan-images.ts) by digest, and reaches the serving
 * scenario's internal load balancer through Direct VPC egress (a network interface in the subnet, for private
 * ranges only): no Serverless VPC Access connector VMs to pay for around the clock, and no connector throughput
 * cap between the load generator and what it measures. Google APIs stay on the normal path.
 */

const NETWORK_INTERFACES = 'run.googleapis.com/network-interfaces';
const VPC_EGRESS = 'run.googleapis.com/vpc-access-egress';

/** `image`: the load-test image by digest (a placeholder until apply knows it). */
export function loadTestJobAction(config: GcpConfig, names: Names, image: string): Action {
  const { project, region, network, loadTest } = config;
  const env = jobEnv(config);
  const deploy = gcloudRun(
    project,
    'run',
    'jobs',
    'deploy',
    loadTest.job,
    `--image=${image}`,
    `--region=${region}`,
    `--service-account=${names.email('loadTester')}`,
    '--tasks=1',
    // A retried load test would measure twice, and a retried task would re-run its share after the others ended (its
    // barrier never met): a failed task fails the test; launchLoadTest decides what a failure means.
    '--max-retries=0',
    `--task-timeout=${loadTest.timeout}`,
    `--cpu=${loadTest.cpu}`,
    `--memory=${loadTest.memory}`,
    `--network=${network.name}`,
    `--subnet=${network.subnet}`,
    '--vpc-egress=private-ranges-only',
    mapFlag('set-env-vars', env),
  );
  return {
    id: `job ${loadTest.job}`,
    kind: 'code',
    description: `Cloud Run job ${loadTest.job}: the load tester, with Direct VPC egress on ${network.name}/${network.subnet}`,
    read: gcloudRead(project, 'run', 'jobs', 'describe', loadTest.job, `--region=${region}`),
    diff: (job, values) => {
      const execution = at(job, 'spec.template');
      const task = at(execution, 'spec.template.spec');
      const container = at(task, 'containers.0');
      const annotations = (at(execution, 'metadata.annotations') ?? {}) as Record<string, string>;
      const nic = JSON.parse(annotations[NETWORK_INTERFACES] ?? '[]') as unknown[];
      const envFound = (at(container, 'env') as { name: string; value: string }[] | undefined) ?? [];
      return compareFields([
        ['image', fillPlaceholders(image, values), at(container, 'image')],
        ['service account', names.email('loadTester'), at(task, 'serviceAccountName')],
        ['task timeout', seconds(loadTest.timeout), Number(at(task, 'timeoutSeconds'))],
        ['max retries', 0, Number(at(task, 'maxRetries') ?? 0)],
        ['cpu', String(loadTest.cpu), at(container, 'resources.limits.cpu')],
        ['memory', loadTest.memory, at(container, 'resources.limits.memory')],
        ['network', { network: network.name, subnetwork: network.subnet }, nic[0]],
        ['vpc egress', 'private-ranges-only', annotations[VPC_EGRESS]],
        ['env', sortedRecord(env), sortedRecord(Object.fromEntries(envFound.map((e) => [e.name, e.value])))],
      ]);
    },
    create: deploy,
    update: deploy,
  };
}
