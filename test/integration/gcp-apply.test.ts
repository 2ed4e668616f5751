import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGcpCommand } from '../../cli/commands/gcp.js';
import { ModelshipError } from '../../shared/errors.js';
import { packageRoot } from '../../shared/paths.js';
import { createFakeCloud, PUBLIC_IMAGES, type FakeCloudSeed } from '../fixtures/gcp/fake-cloud.js';

/** `modelship gcp` end to end against the fake gcloud: plan, apply, apply again, check, drift, CI's code-only apply. */

const SECRET = 'f'.repeat(8) + '0123456789abcdef'.repeat(3) + '0'.repeat(8);
const WEBHOOK_URL = 'https://us-central1-my-project.cloudfunctions.net/modelship-webhook';
const seed: Omit<FakeCloudSeed, 'cwd'> = {
  project: 'my-project',
  projectNumber: '123456789012',
  cluster: { name: 'tfserving', location: 'us-central1-a', network: 'default' },
  subnet: { name: 'default', region: 'us-central1', network: 'default' },
  secrets: { 'modelship-github-token': ['ghp_not_a_real_token'] },
};

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup(options: { seed?: Omit<FakeCloudSeed, 'cwd'>; webhookStatus?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'modelship-gcp-'));
  dirs.push(dir);
  copyFileSync(join(packageRoot, 'modelship.config.example.yaml'), join(dir, 'modelship.config.yaml'));
  const cloud = createFakeCloud({ ...(options.seed ?? seed), cwd: dir });
  const out: string[] = [];
  const probed: string[] = [];
  const command = createGcpCommand(
    {
      run: cloud.run,
      newSecret: () => SECRET,
      sleep: async () => undefined,
      fetch: async (url) => {
        probed.push(String(url));
        return new Response('signature required', { status: options.webhookStatus ?? 401 });
      },
      print: (line) => out.push(line),
    },
    () => dir,
  );
  const run = async (...argv: string[]) => {
    out.length = 0;
    const before = cloud.calls.length;
    const code = await command.run(argv);
    const calls = cloud.calls.slice(before);
    return { code, out: out.join('\n'), calls, changes: calls.filter((c) => c.mutated).map((c) => c.argv.join(' ')) };
  };
  return { cloud, run, probed };
}

describe('modelship gcp against a fake project', () => {
  it('plan prints every action and runs nothing', async () => {
    const { run } = setup();
    const plan = await run('plan');
    expect(plan.code).toBe(0);
    // Only the organization policies that could refuse the public webhook are read.
    expect(plan.calls.map((c) => c.argv.slice(1, 4).join(' '))).toEqual([
      'org-policies describe iam.allowedPolicyMemberDomains',
      'org-policies describe iam.managed.allowedPolicyMembers',
    ]);
    expect(plan.out).not.toContain('WARNING');
    expect(plan.out).toMatch(
      /^Plan for project my-project \(us-central1\) from modelship\.config\.yaml: 132 actions\./,
    );
  });

  it('applies everything, prints the secret once, and a second apply changes nothing and says so', async () => {
    const { run, cloud } = setup();
    const first = await run('apply');
    expect(first.code).toBe(0);
    expect(first.out).not.toContain('No changes');
    expect(first.out).toMatch(/\n\d+ created, \d+ changed, \d+ granted, 5 unchanged\.\n/);
    expect(first.out.split(SECRET)).toHaveLength(2);
    expect(first.out).toContain(`Payload URL:   ${WEBHOOK_URL}`);
    expect(first.out).toContain('Events:        Let me select individual events → Releases');
    expect(first.out).not.toContain('ghp_not_a_real_token');
    expect(cloud.state.secretValues.get('modelship-webhook-secret')).toEqual([SECRET]);
    expect(first.changes.length).toBeGreaterThan(80);

    const second = await run('apply');
    expect(second.code).toBe(0);
    expect(second.changes).toEqual([]);
    expect(second.out).toContain('No changes: all 132 actions were already in place.');
    expect(second.out).not.toContain(SECRET);
    expect(second.out).toContain('Secret:        unchanged; read it with: gcloud secrets versions access latest');
  });

  it('wires each trigger subscription to the dead-letter topic, and grants Pub/Sub what dead-lettering needs', async () => {
    const { run, cloud } = setup();
    await run('apply');
    const pushSubscriptions = [...cloud.state.resources.entries()].filter(([k]) =>
      k.startsWith('subscription eventarc-'),
    );
    expect(pushSubscriptions).toHaveLength(9);
    for (const [k, s] of pushSubscriptions) {
      expect(s).toMatchObject({
        ackDeadlineSeconds: 600,
        deadLetterPolicy: {
          deadLetterTopic: 'projects/my-project/topics/modelship-dead-letter',
          maxDeliveryAttempts: 10,
        },
        retryPolicy: { minimumBackoff: '10s', maximumBackoff: '600s' },
      });
      expect(cloud.state.policies.get(k)).toEqual([
        {
          role: 'roles/pubsub.subscriber',
          members: ['serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com'],
        },
      ]);
    }
    expect(cloud.state.kube.get('RoleBinding default/modelship-deployer')).toMatchObject({
      subjects: [{ kind: 'User', name: 'modelship-deployer@my-project.iam.gserviceaccount.com' }],
    });
  });

  it('check verifies every piece and that the webhook answers', async () => {
    const { run, probed } = setup();
    const before = await run('check');
    expect(before.code).toBe(1);
    expect(before.changes).toEqual([]);
    expect(before.out).toMatch(/\d+ of 132 pieces are missing or differ/);

    await run('apply');
    const after = await run('check');
    expect(after.code).toBe(0);
    expect(after.changes).toEqual([]);
    expect(after.out).toContain(`reachable: ${WEBHOOK_URL} answers and rejects an unsigned request (401)`);
    expect(after.out).toContain('All 132 pieces are in place.');
    expect(probed).toEqual([WEBHOOK_URL]);
  });

  it('check fails when the webhook accepts what is not signed', async () => {
    const { run } = setup({ webhookStatus: 200 });
    await run('apply');
    const check = await run('check');
    expect(check.code).toBe(1);
    expect(check.out).toContain('accepted an unsigned request (200): check GITHUB_WEBHOOK_SECRET');
  });

  it('repairs drift and only drift', async () => {
    const { run, cloud } = setup();
    await run('apply');
    const fn = cloud.state.resources.get('function modelship-deploy') as {
      serviceConfig: { environmentVariables: object };
    };
    fn.serviceConfig.environmentVariables = { ...fn.serviceConfig.environmentVariables, GKE_NAMESPACE: 'other' };
    cloud.state.policies.set('topic model-released', []);
    // The webhook's whole vCPU, taken back to its memory tier's share by hand.
    const webhook = cloud.state.resources.get('function modelship-webhook') as { serviceConfig: object };
    webhook.serviceConfig = { ...webhook.serviceConfig, availableCpu: '0.3333' };

    const repair = await run('apply');
    expect(repair.changes.map((c) => c.split(' ').slice(0, 5).join(' '))).toEqual([
      'gcloud pubsub topics add-iam-policy-binding model-released',
      'gcloud functions deploy modelship-webhook --gen2',
      'gcloud functions deploy modelship-deploy --gen2',
    ]);
    expect(repair.out).toContain('GKE_NAMESPACE');
    expect(repair.out).toMatch(/cpu.*0\.3333/);
    expect(repair.changes.find((c) => c.startsWith('gcloud functions deploy modelship-webhook'))).toContain('--cpu=1');
    expect(repair.out).toContain('0 created, 2 changed, 1 granted, 129 unchanged.');
  });

  it('builds both images in one Cloud Build and deploys each by its digest', async () => {
    const { run, cloud } = setup();
    const first = await run('apply');
    // The images' build, and the base image's copy.
    const builds = first.changes.filter((c) => c.startsWith('gcloud builds submit'));
    expect(builds.map((c) => c.includes('--no-source'))).toEqual([true, false]);
    const registry = 'us-central1-docker.pkg.dev/my-project/modelship';
    const digest = (image: string) =>
      [...cloud.state.images].find(([ref]) => ref.startsWith(`${registry}/${image}:src-`))?.[1] ?? 'none';
    const job = cloud.state.resources.get('job modelship-loadtest');
    expect(JSON.stringify(job)).toContain(`"image":"${registry}/load-tester@${digest('load-tester')}"`);
    const bake = cloud.state.resources.get('function modelship-bake') as {
      serviceConfig: { environmentVariables: Record<string, string> };
    };
    expect(bake.serviceConfig.environmentVariables.MODELSHIP_IMAGE).toBe(
      `${registry}/modelship@${digest('modelship')}`,
    );
  });

  it("gives the bake's push step gcrane by the digest of its tag, looked up once", async () => {
    const { run, cloud } = setup();
    const first = await run('apply');
    const lookups = first.calls.filter((c) => c.argv.slice(1, 4).join(' ') === 'container images describe');
    expect(lookups.map((c) => c.argv[4])).toEqual(['gcr.io/go-containerregistry/gcrane:debug']);
    const bake = cloud.state.resources.get('function modelship-bake') as {
      serviceConfig: { environmentVariables: Record<string, string> };
    };
    expect(bake.serviceConfig.environmentVariables.GCRANE_IMAGE).toBe(
      `gcr.io/go-containerregistry/gcrane@${PUBLIC_IMAGES['gcr.io/go-containerregistry/gcrane:debug']}`,
    );
  });

  it('deploys only code with --only code, as CI does, by the digests of the images CI pushed', async () => {
    const { run, cloud } = setup();
    await run('apply');
    const registry = 'us-central1-docker.pkg.dev/my-project/modelship';
    cloud.state.images.set(`${registry}/load-tester:ci-42`, `sha256:${'a'.repeat(64)}`);
    cloud.state.images.set(`${registry}/modelship:ci-42`, `sha256:${'b'.repeat(64)}`);
    const ci = await run(
      'apply',
      '--only',
      'code',
      '--load-test-image',
      `${registry}/load-tester:ci-42`,
      '--tool-image',
      `${registry}/modelship:ci-42`,
    );
    // `container`: the gcrane digest of the bake function's environment; `auth`: who is signed in.
    expect(
      ci.calls.every((c) => ['auth', 'functions', 'run', 'artifacts', 'container'].includes(c.argv[1] ?? '')),
    ).toBe(true);
    // The job runs the new load-test image, the bake's steps the new tool image (MODELSHIP_IMAGE): both by digest.
    expect(ci.changes).toEqual([
      expect.stringMatching(/^gcloud run jobs deploy modelship-loadtest --image=\S+\/load-tester@sha256:a{64} /),
      expect.stringMatching(
        /^gcloud functions deploy modelship-bake .*MODELSHIP_IMAGE=\S+\/modelship@sha256:b{64}[ ,]/,
      ),
    ]);
    expect(ci.out).toContain('0 created, 2 changed, 0 granted, 11 unchanged.');
  });

  it('stops before deploying when an image given is not in the registry', async () => {
    const { run, cloud } = setup();
    await run('apply');
    const registry = 'us-central1-docker.pkg.dev/my-project/modelship';
    cloud.state.images.set(`${registry}/load-tester:ci-43`, `sha256:${'c'.repeat(64)}`);
    const before = cloud.calls.length;
    await expect(
      run('apply', '--load-test-image', `${registry}/load-tester:ci-43`, '--tool-image', `${registry}/modelship:ci-43`),
    ).rejects.toThrow(/The tool image \S+\/modelship:ci-43 exists: not found/);
    expect(cloud.calls.slice(before).filter((c) => c.mutated)).toEqual([]);
  });

  it('stops before creating anything when the GitHub token is missing, saying how to add it', async () => {
    const { run } = setup({ seed: { ...seed, secrets: {} } });
    const failure = run('apply');
    await expect(failure).rejects.toBeInstanceOf(ModelshipError);
    await expect(failure).rejects.toThrow(
      /holds a GitHub token.*printf %s "\$GITHUB_TOKEN" \| gcloud secrets create modelship-github-token/s,
    );
  });

  it('creates only the API enablement before the missing token stops it', async () => {
    const { run, cloud } = setup({ seed: { ...seed, secrets: {} } });
    await run('apply').catch(() => undefined);
    expect(cloud.calls.filter((c) => c.mutated).map((c) => c.argv.slice(0, 3).join(' '))).toEqual([
      'gcloud services enable',
    ]);
  });

  it('apply and check stop at once, with exit 2, when gcloud has no signed-in account', async () => {
    const { run, cloud } = setup({ seed: { ...seed, account: null } });
    for (const action of ['apply', 'check']) {
      const err = await run(action).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelshipError);
      expect((err as Error).message).toMatch(/no signed-in account.*gcloud auth login/);
    }
    // Nothing else was tried: one local command each, not a hundred failing ones.
    expect(cloud.calls.map((c) => c.argv.slice(0, 3).join(' '))).toEqual(['gcloud auth list', 'gcloud auth list']);
  });

  it('rejects bad usage', async () => {
    const { run } = setup();
    await expect(run('deploy')).rejects.toThrow("unknown action 'deploy'");
    await expect(run('plan', '--load-test-image', 'r/load-tester:1')).rejects.toThrow(
      '--load-test-image and --tool-image are given together',
    );
    await expect(run('apply', '--only', 'code,functions')).rejects.toThrow(
      '--only: unknown kind functions; allowed: require, enable, resource, iam, code',
    );
    await expect(run('plan', '--config', 'missing.yaml')).rejects.toThrow(
      /missing\.yaml: cannot read the config file \(ENOENT\)/,
    );
  });
});
