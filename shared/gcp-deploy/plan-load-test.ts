import { posix } from 'node:path';
import { fillPlaceholders, type Action, type Lookup } from './action.js';
import type { GcpConfig } from './config-schema.js';
import { jobEnv } from './function-specs.js';
import { gcloudRead, gcloudRun, gcloudValue, mapFlag, seconds } from './gcloud-args.js';
import { at, compareFields, sortedRecord } from './json-path.js';
import type { Names } from './names.js';

/**
 * The load-test Cloud Run job. Its image is built from this source by cloudbuild/load-tester.yaml and tagged with
 * the source hash, so an unchanged source builds nothing; the job runs it by digest. It reaches the serving
 * scenario's internal load balancer through Direct VPC egress (a network interface in the subnet, for private
 * ranges only): no Serverless VPC Access connector VMs to pay for around the clock, and no connector throughput
 * cap between the load generator and what it measures. Google APIs stay on the normal path.
 */

const DIGEST_LOOKUP = 'LOADTEST_DIGEST';
const NETWORK_INTERFACES = 'run.googleapis.com/network-interfaces';
const VPC_EGRESS = 'run.googleapis.com/vpc-access-egress';

export interface LoadTestInputs {
  sourceDir: string;
  sourceHash: string;
  /** An image built elsewhere (CI), instead of building one here. */
  image?: string;
}

/** `REPO/IMAGE:TAG` or `REPO/IMAGE@sha256:...` → `REPO/IMAGE`. */
function imageName(ref: string): string {
  return ref.replace(/(@sha256:[0-9a-f]+|:[^/:@]+)$/, '');
}

export function loadTestImageRef(config: GcpConfig, names: Names, inputs: LoadTestInputs): string {
  return inputs.image ?? config.loadTest.image ?? `${names.loadTestImage}:src-${inputs.sourceHash}`;
}

/** The image as deployed: by the digest apply finds for the reference. */
export function imageByDigest(ref: string): string {
  return `${imageName(ref)}@\${${DIGEST_LOOKUP}}`;
}

export function digestLookup(config: GcpConfig, image: string): Lookup {
  return {
    name: DIGEST_LOOKUP,
    description: `the digest of ${image}`,
    command: gcloudValue(config.project, 'image_summary.digest', 'artifacts', 'docker', 'images', 'describe', image),
  };
}

function imageAction(config: GcpConfig, inputs: LoadTestInputs, image: string): Action {
  const { project, region, registry } = config;
  const given = inputs.image ?? config.loadTest.image;
  const read = gcloudRead(project, 'artifacts', 'docker', 'images', 'describe', image);
  if (given) {
    return {
      id: 'load-test image',
      kind: 'code',
      description: `The load-test image ${image} exists`,
      read,
      diff: () => [],
      hint: 'push the image first (cloudbuild/load-tester.yaml), or drop loadTest.image to let apply build it',
    };
  }
  const buildConfig = posix.join(inputs.sourceDir, 'cloudbuild/load-tester.yaml');
  return {
    id: 'load-test image',
    kind: 'code',
    description: `Build and push the load-test image ${image} from this source (Cloud Build)`,
    read,
    diff: () => [],
    // The substitutions of cloudbuild/load-tester.yaml, which names the image REGION-docker.pkg.dev/P/REPO/load-tester.
    create: gcloudRun(
      project,
      'builds',
      'submit',
      inputs.sourceDir,
      `--config=${buildConfig}`,
      mapFlag('substitutions', { _REGION: region, _REPOSITORY: registry.pipeline, _TAG: `src-${inputs.sourceHash}` }),
    ),
  };
}

function jobAction(config: GcpConfig, names: Names, image: string): Action {
  const { project, region, network, loadTest } = config;
  const env = jobEnv(config);
  const wantedImage = imageByDigest(image);
  const deploy = gcloudRun(
    project,
    'run',
    'jobs',
    'deploy',
    loadTest.job,
    `--image=${wantedImage}`,
    `--region=${region}`,
    `--service-account=${names.email('loadTester')}`,
    '--tasks=1',
    // A retried load test would measure twice; launchLoadTest decides what a failure means.
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
        ['image', fillPlaceholders(wantedImage, values), at(container, 'image')],
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

export function loadTestActions(config: GcpConfig, names: Names, inputs: LoadTestInputs): Action[] {
  const image = loadTestImageRef(config, names, inputs);
  return [imageAction(config, inputs, image), jobAction(config, names, image)];
}
