import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Action } from '../../../../operator/gcp/action.js';
import { buildPlan } from '../../../../operator/gcp/build-plan.js';
import { functionSpecs } from '../../../../operator/gcp/function-specs.js';
import { grants } from '../../../../operator/gcp/grants.js';
import { targetLabel } from '../../../../operator/gcp/iam.js';
import { parseGcpConfig } from '../../../../operator/gcp/load-gcp-config.js';
import { resourceNames } from '../../../../operator/gcp/names.js';
import { SERVICE_ACCOUNTS } from '../../../../shared/wiring.js';
import { APIS } from '../../../../operator/gcp/plan-requirements.js';
import { renderPlan } from '../../../../operator/gcp/render-plan.js';
import { packageRoot } from '../../../../shared/paths.js';
import { TOPICS } from '../../../../shared/topics.js';

const text = readFileSync(join(packageRoot, 'modelship.config.example.yaml'), 'utf8');
const config = parseGcpConfig(text, 'example.yaml', { scenarios: ['2n-8c-16r-interop4'] });
const inputs = { sourceDir: '.', sourceHash: '0123456789abcdef', stateDir: '.modelship/gcp' };
const plan = buildPlan(config, inputs);
const byId = (id: string): Action => {
  const action = plan.actions.find((a) => a.id === id);
  if (!action) throw new Error(`no action ${id}; there are: ${plan.actions.map((a) => a.id).join(', ')}`);
  return action;
};
const apply = (id: string) => (byId(id).create ?? byId(id).update)?.argv ?? [];
const rendered = renderPlan(plan, 'Plan').join('\n');

describe('buildPlan for the example config', () => {
  it('enables every API first, then checks the project', () => {
    expect(plan.actions.slice(0, 2).map((a) => a.id)).toEqual(['enable apis', 'require project']);
    expect(byId('enable apis').update?.argv).toEqual(['gcloud', 'services', 'enable', ...APIS, '--project=my-project']);
  });

  it('requires what apply does not create: the cluster, its subnet, the GitHub token', () => {
    for (const id of ['require cluster', 'require subnet', 'require github token']) {
      expect(byId(id).kind).toBe('require');
      expect([byId(id).create, byId(id).update]).toEqual([undefined, undefined]);
      expect(byId(id).hint).toBeTruthy();
    }
  });

  it('creates every topic, cloud-builds and the dead-letter topic included', () => {
    for (const topic of [...Object.values(TOPICS), 'modelship-dead-letter']) {
      expect(apply(`topic ${topic}`)).toEqual(['gcloud', 'pubsub', 'topics', 'create', topic, '--project=my-project']);
    }
    expect(apply('subscription modelship-dead-letter')).toContain('--expiration-period=never');
  });

  it('creates Firestore, both registries, the private bucket and the webhook secret', () => {
    expect(apply('firestore')).toContain('--type=firestore-native');
    expect(apply('repository modelship-models')).toContain('--repository-format=docker');
    expect(apply('repository modelship')).toContain('--repository-format=docker');
    expect(apply('bucket my-project-modelship-reports')).toEqual(
      expect.arrayContaining(['--uniform-bucket-level-access', '--public-access-prevention']),
    );
    expect(apply('secret modelship-webhook-secret')).toContain('--replication-policy=automatic');
    expect(byId('secret modelship-webhook-secret value').update?.stdin).toEqual({ generatedSecret: true });
  });

  it('creates one service account per function, plus the builds, the job, the triggers and CI', () => {
    for (const { id } of Object.values(SERVICE_ACCOUNTS)) expect(apply(`service account ${id}`)[4]).toBe(id);
    const accounts = new Set(functionSpecs(config, resourceNames(config), 'img').map((f) => f.account));
    expect(accounts.size).toBe(7); // reportResults' two deployments share one
  });

  it('deploys every function as 2nd gen with its runtime, trigger, timeout, retries and entry point', () => {
    const expected = [
      ['modelship-webhook', 'githubWebhook', '--trigger-http', '60s'],
      ['modelship-bake', 'bakeModel', '--trigger-topic=model-released', '120s'],
      ['modelship-build-finished', 'onBuildFinished', '--trigger-topic=cloud-builds', '60s'],
      ['modelship-deploy', 'deployScenario', '--trigger-topic=deploy-requested', '540s'],
      ['modelship-launch-load-test', 'launchLoadTest', '--trigger-topic=load-test-requested', '120s'],
      ['modelship-report-finished', 'reportResults', '--trigger-topic=load-test-finished', '120s'],
      ['modelship-report-failed', 'reportResults', '--trigger-topic=pipeline-failed', '120s'],
    ];
    for (const [name, entryPoint, trigger, timeout] of expected) {
      const argv = apply(`function ${name}`);
      expect(argv.slice(0, 5)).toEqual(['gcloud', 'functions', 'deploy', name, '--gen2']);
      expect(argv).toEqual(
        expect.arrayContaining([
          '--runtime=nodejs22',
          `--entry-point=${entryPoint}`,
          trigger,
          `--timeout=${timeout}`,
          '--source=.',
          '--update-labels=modelship-source=0123456789abcdef',
          // New projects build as the Compute Engine default account, often without rights.
          '--build-service-account=projects/my-project/serviceAccounts/modelship-builder@my-project.iam.gserviceaccount.com',
          // npm ci would run `prepare` (the whole build) before gcp-build: the source compiles once.
          '--set-build-env-vars=NPM_CONFIG_IGNORE_SCRIPTS=true',
        ]),
      );
      const event = trigger !== '--trigger-http';
      expect(argv.includes('--retry')).toBe(event);
      expect(argv).toContain(event ? '--ingress-settings=internal-only' : '--ingress-settings=all');
    }
  });

  it('gives each trigger subscription a 600 s ack deadline, a backoff and the dead-letter topic', () => {
    const subscriptions = plan.actions.filter((a) => a.id.startsWith('subscription of '));
    expect(subscriptions).toHaveLength(9);
    for (const s of subscriptions) {
      expect(s.update?.argv).toEqual(
        expect.arrayContaining([
          '--ack-deadline=600',
          '--dead-letter-topic=projects/my-project/topics/modelship-dead-letter',
          '--max-delivery-attempts=10',
          '--min-retry-delay=10s',
          '--max-retry-delay=600s',
        ]),
      );
    }
  });

  it("finds Eventarc's 10 s ack deadline different, and 600 s as wanted", () => {
    const s = byId('subscription of modelship-deploy');
    const eventarc = {
      ackDeadlineSeconds: 10,
      deadLetterPolicy: {
        deadLetterTopic: 'projects/my-project/topics/modelship-dead-letter',
        maxDeliveryAttempts: 10,
      },
      retryPolicy: { minimumBackoff: '10s', maximumBackoff: '600s' },
    };
    expect(s.diff(eventarc, {})).toEqual(['ack deadline: wanted 600, found 10']);
    expect(s.diff({ ...eventarc, ackDeadlineSeconds: 600 }, {})).toEqual([]);
  });

  it('builds both images with one Cloud Build, each action checking its own image', () => {
    for (const [id, image] of [
      ['tool image', 'modelship'],
      ['load-test image', 'load-tester'],
    ] as const) {
      expect(apply(id)).toEqual([
        'gcloud',
        'builds',
        'submit',
        '.',
        '--config=cloudbuild/load-tester.yaml',
        '--ignore-file=.dockerignore',
        '--substitutions=_REGION=us-central1,_REPOSITORY=modelship,_TAG=src-0123456789abcdef',
        '--service-account=projects/my-project/serviceAccounts/modelship-builder@my-project.iam.gserviceaccount.com',
        '--project=my-project',
      ]);
      expect(byId(id).read.argv.slice(0, 5)).toEqual(['gcloud', 'artifacts', 'docker', 'images', 'describe']);
      expect(byId(id).read.argv[5]).toBe(
        `us-central1-docker.pkg.dev/my-project/modelship/${image}:src-0123456789abcdef`,
      );
    }
    expect(plan.lookups.TOOL_DIGEST?.command.argv).toEqual([
      'gcloud',
      'artifacts',
      'docker',
      'images',
      'describe',
      'us-central1-docker.pkg.dev/my-project/modelship/modelship:src-0123456789abcdef',
      '--project=my-project',
      '--format=value(image_summary.digest)',
    ]);
    expect(plan.lookups.LOADTEST_DIGEST?.command.argv[5]).toBe(
      'us-central1-docker.pkg.dev/my-project/modelship/load-tester:src-0123456789abcdef',
    );
  });

  it('gives the bake steps the tool image and the job the load-test image, each by digest', () => {
    expect(apply('function modelship-bake').find((a) => a.startsWith('--set-env-vars'))).toContain(
      'MODELSHIP_IMAGE=us-central1-docker.pkg.dev/my-project/modelship/modelship@${TOOL_DIGEST},',
    );
    expect(apply('job modelship-loadtest')).toContain(
      '--image=us-central1-docker.pkg.dev/my-project/modelship/load-tester@${LOADTEST_DIGEST}',
    );
  });

  it("pins the push step's gcrane by the digest apply finds for its tag", () => {
    expect(plan.lookups.GCRANE_DIGEST?.command.argv).toEqual([
      'gcloud',
      'container',
      'images',
      'describe',
      'gcr.io/go-containerregistry/gcrane:debug',
      '--project=my-project',
      '--format=value(image_summary.digest)',
    ]);
    expect(apply('function modelship-bake').find((a) => a.startsWith('--set-env-vars'))).toContain(
      ',GCRANE_IMAGE=gcr.io/go-containerregistry/gcrane@${GCRANE_DIGEST},',
    );
  });

  it("copies the bake's base image from gcr.io into the pipeline repository and bakes on it by digest", () => {
    const target = 'us-central1-docker.pkg.dev/my-project/modelship/base/tfs-resnet-cpu-opt';
    expect(apply('base image')).toEqual([
      'gcloud',
      'builds',
      'submit',
      '--no-source',
      '--config=cloudbuild/mirror-image.yaml',
      '--substitutions=_GCRANE_IMAGE=gcr.io/go-containerregistry/gcrane@${GCRANE_DIGEST},_SOURCE=gcr.io/gcp-ml-172005/tfs-resnet-cpu-opt,' +
        `_TARGET=${target}:latest`,
      '--service-account=projects/my-project/serviceAccounts/modelship-builder@my-project.iam.gserviceaccount.com',
      '--project=my-project',
    ]);
    expect(byId('base image').read.argv[5]).toBe(`${target}:latest`);
    expect(plan.lookups.BASE_DIGEST?.command.argv[5]).toBe(`${target}:latest`);
    expect(apply('function modelship-bake').find((a) => a.startsWith('--set-env-vars'))).toContain(
      `,BASE_IMAGE=${target}@\${BASE_DIGEST},`,
    );
  });

  it('bakes on a base image already in the project as given, with no copy', () => {
    const baseImage = 'us-central1-docker.pkg.dev/my-project/modelship/tfs@sha256:' + 'e'.repeat(64);
    const own = buildPlan({ ...config, model: { ...config.model, baseImage } }, inputs);
    expect(own.actions.map((a) => a.id)).not.toContain('base image');
    expect(Object.keys(own.lookups)).not.toContain('BASE_DIGEST');
    const bake = own.actions.find((a) => a.id === 'function modelship-bake')?.create?.argv ?? [];
    expect(bake.find((a) => a.startsWith('--set-env-vars'))).toContain(`,BASE_IMAGE=${baseImage},`);
  });

  it('uses a gcrane the config gives by digest as is, with no lookup', () => {
    const gcraneImage = `mirror.example/gcrane@sha256:${'d'.repeat(64)}`;
    const pinned = buildPlan({ ...config, model: { ...config.model, gcraneImage } }, inputs);
    expect(Object.keys(pinned.lookups)).not.toContain('GCRANE_DIGEST');
    const bake = pinned.actions.find((a) => a.id === 'function modelship-bake')?.create?.argv ?? [];
    expect(bake.find((a) => a.startsWith('--set-env-vars'))).toContain(`,GCRANE_IMAGE=${gcraneImage},`);
  });

  it('checks that images built elsewhere both exist, from the command line or the config', () => {
    const images = { loadTester: 'reg/load-tester:ci', tool: 'reg/modelship:ci' };
    const fromConfig = {
      ...config,
      loadTest: { ...config.loadTest, image: images.loadTester, toolImage: images.tool },
    };
    for (const given of [buildPlan(config, { ...inputs, images }), buildPlan(fromConfig, inputs)]) {
      const action = (id: string) => given.actions.find((a) => a.id === id);
      expect(action('tool image')?.description).toBe('The tool image reg/modelship:ci exists');
      expect(action('load-test image')?.description).toBe('The load-test image reg/load-tester:ci exists');
      expect([action('tool image')?.create, action('load-test image')?.create]).toEqual([undefined, undefined]);
      expect(given.lookups.TOOL_DIGEST?.command.argv[5]).toBe('reg/modelship:ci');
      expect(action('job modelship-loadtest')?.create?.argv).toContain('--image=reg/load-tester@${LOADTEST_DIGEST}');
    }
  });

  it('deploys the load-test job with Direct VPC egress to private ranges', () => {
    expect(apply('job modelship-loadtest')).toEqual(
      expect.arrayContaining([
        '--network=default',
        '--subnet=default',
        '--vpc-egress=private-ranges-only',
        '--service-account=modelship-load-tester@my-project.iam.gserviceaccount.com',
      ]),
    );
  });

  it('orders the job before its grants and the functions before theirs', () => {
    const index = (id: string) => plan.actions.findIndex((a) => a.id === id);
    const last = (prefix: string) => plan.actions.findLastIndex((a) => a.id.startsWith(prefix));
    expect(index('job modelship-loadtest')).toBeLessThan(plan.actions.findIndex((a) => a.id.includes('Cloud Run job')));
    expect(last('function ')).toBeLessThan(plan.actions.findIndex((a) => a.id.startsWith('iam function')));
    expect(last('service account ')).toBeLessThan(plan.actions.findIndex((a) => a.kind === 'iam'));
  });
});

describe('least privilege', () => {
  const list = grants(config, resourceNames(config), functionSpecs(config, resourceNames(config), 'img'));
  const rolesOf = (id: string) =>
    list
      .filter((g) => g.member === `serviceAccount:${id}@my-project.iam.gserviceaccount.com`)
      .map((g) => `${g.role} on ${targetLabel(g.on)}`)
      .sort();

  it('grants no basic or admin role, and project-wide only what cannot be granted narrower', () => {
    expect(list.filter((g) => /roles\/(owner|editor|viewer)$|admin/i.test(g.role))).toEqual([]);
    const projectWide = new Set(list.filter((g) => g.on.kind === 'project').map((g) => g.role));
    expect([...projectWide].sort()).toEqual([
      'roles/cloudbuild.builds.builder',
      'roles/cloudbuild.builds.editor',
      'roles/cloudbuild.builds.viewer',
      'roles/cloudfunctions.developer',
      'roles/container.clusterViewer',
      'roles/datastore.user',
      'roles/logging.logWriter',
    ]);
  });

  it('lets the webhook only publish releases, read its secret and record runs', () => {
    expect(rolesOf('modelship-webhook')).toEqual([
      'roles/datastore.user on project my-project',
      'roles/pubsub.publisher on topic model-released',
      'roles/secretmanager.secretAccessor on secret modelship-webhook-secret',
    ]);
  });

  it('lets the deployer only reach the cluster (RBAC does the rest) and publish its five messages', () => {
    expect(rolesOf('modelship-deployer')).toEqual([
      'roles/container.clusterViewer on project my-project',
      'roles/datastore.user on project my-project',
      'roles/pubsub.publisher on topic deploy-requested',
      'roles/pubsub.publisher on topic load-test-requested',
      'roles/pubsub.publisher on topic pipeline-failed',
      'roles/pubsub.publisher on topic promote-requested',
      'roles/pubsub.publisher on topic promotion-finished',
    ]);
  });

  it('lets the launcher only run its job', () => {
    expect(rolesOf('modelship-launcher')).toEqual([
      'roles/datastore.user on project my-project',
      'roles/run.jobsExecutorWithOverrides on Cloud Run job modelship-loadtest',
    ]);
  });

  it('gives the bake what it needs to submit and the builds what they need to push', () => {
    expect(rolesOf('modelship-bake-submitter')).toEqual([
      'roles/cloudbuild.builds.editor on project my-project',
      'roles/datastore.user on project my-project',
      'roles/iam.serviceAccountUser on service account modelship-bake-build@my-project.iam.gserviceaccount.com',
      'roles/pubsub.publisher on topic pipeline-failed',
    ]);
    expect(rolesOf('modelship-bake-build')).toEqual([
      'roles/artifactregistry.reader on repository modelship',
      'roles/artifactregistry.writer on repository modelship-models',
      'roles/logging.logWriter on project my-project',
      'roles/secretmanager.secretAccessor on secret modelship-github-token',
    ]);
  });

  it('lets the builds build, and CI deploy functions that build as modelship-builder', () => {
    expect(rolesOf('modelship-builder')).toEqual(['roles/cloudbuild.builds.builder on project my-project']);
    expect(rolesOf('modelship-ci')).toContain(
      'roles/iam.serviceAccountUser on service account modelship-builder@my-project.iam.gserviceaccount.com',
    );
  });

  it('plans every grant, and invokes each event function only through the trigger identity', () => {
    for (const g of list)
      expect(plan.actions.some((a) => a.id === `iam ${targetLabel(g.on)} ${g.role} ${g.member}`)).toBe(true);
    const invokers = list.filter((g) => g.role === 'roles/run.invoker');
    expect(invokers.filter((g) => g.member === 'allUsers').map((g) => targetLabel(g.on))).toEqual([
      'function modelship-webhook',
    ]);
    expect(invokers).toHaveLength(10);
  });
});

describe('secrets in the plan', () => {
  it('mounts secrets from Secret Manager and never passes them as plain variables', () => {
    const webhook = apply('function modelship-webhook');
    expect(webhook).toContain('--set-secrets=GITHUB_WEBHOOK_SECRET=modelship-webhook-secret:latest');
    expect(apply('function modelship-report-finished')).toContain(
      '--set-secrets=GITHUB_TOKEN=modelship-github-token:latest',
    );
    const envFlags = plan.actions
      .flatMap((a) => a.create?.argv ?? [])
      .filter((arg) => arg.startsWith('--set-env-vars'));
    expect(envFlags.length).toBe(11);
    for (const flag of envFlags)
      expect(flag).not.toMatch(/[=,|](GITHUB_WEBHOOK_SECRET|GITHUB_WEBHOOK_SECRET_PREVIOUS|GITHUB_TOKEN)=/);
  });

  it('prints how the webhook secret is generated, never a value', () => {
    expect(rendered).toContain(
      "openssl rand -hex 32 | tr -d '\\n' | gcloud secrets versions add modelship-webhook-secret --data-file=- --project=my-project",
    );
    expect(rendered).not.toMatch(/[0-9a-f]{40,}/);
  });

  it('needs no GitHub token for public repositories whose results stay in the run records', () => {
    const tokenless = parseGcpConfig(text.replace(/^ {2}tokenSecret: .*$/m, ''), 'x.yaml', {
      scenarios: ['2n-8c-16r-interop4'],
    });
    const other = buildPlan(tokenless, inputs);
    expect(other.actions.map((a) => a.id)).not.toContain('require github token');
    expect(other.actions.filter((a) => a.id.includes('modelship-github-token'))).toEqual([]);
    const argv = (id: string) => other.actions.find((a) => a.id === id)?.create?.argv ?? [];
    expect(argv('function modelship-report-finished').some((a) => a.startsWith('--set-secrets'))).toBe(false);
    expect(argv('function modelship-bake').find((a) => a.startsWith('--set-env-vars'))).toContain(
      ',GITHUB_TOKEN_SECRET=,',
    );
  });

  it("keeps a comma-separated value whole with gcloud's alternate delimiter", () => {
    const two = parseGcpConfig(text.replace('    - my-org/my-model', '    - my-org/a\n    - my-org/b'), 'x.yaml', {
      scenarios: ['2n-8c-16r-interop4'],
    });
    const argv = buildPlan(two, inputs).actions.find((a) => a.id === 'function modelship-webhook')?.create?.argv ?? [];
    expect(argv.find((a) => a.startsWith('--set-env-vars'))).toMatch(
      /^--set-env-vars=\^\|\^.*\|ALLOWED_REPOSITORIES=my-org\/a,my-org\/b\|/,
    );
  });
});
