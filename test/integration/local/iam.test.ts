import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it, vi } from 'vitest';
import type { Grant } from '../../../operator/gcp/iam.js';
import { startLocalStack } from '../../../local/stack.js';
import { DEFAULT_SCENARIO } from '../../../shared/deploy/index.js';
import { createFirestoreStore } from '../../../shared/store.js';
import { createPublisher } from '../../../shared/gcp/publisher.js';
import { SERVICE_ACCOUNTS, type AccountKey } from '../../../shared/wiring.js';
import { release } from '../../support/local-release.js';
import { localImages } from '../../support/local-images.js';

/**
 * The failure paths with IAM enforced as the plan grants it (the local stack always enforces it): a build Cloud
 * Build refuses and a load test that cannot start both end the run, because their identities may publish
 * PipelineFailed. Without that one grant the same path is refused, naming the permission.
 */

vi.setConfig({ testTimeout: 360_000 });

/** One grant of the plan, by the account's id, the role and (part of) the resource. */
const grantOf =
  (account: AccountKey, role: string, on = '') =>
  (g: Grant) =>
    g.member.startsWith(`serviceAccount:${SERVICE_ACCOUNTS[account].id}@`) &&
    g.role === role &&
    JSON.stringify(g.on).includes(on);

const actAsBakeBuild = grantOf('bakeSubmitter', 'roles/iam.serviceAccountUser', SERVICE_ACCOUNTS.bakeBuild.id);

describe('IAM enforced in the local stack', () => {
  it('ends the run at bake when Cloud Build refuses the build, naming the missing permission', async () => {
    const { code, run, notes, stack, out } = await release({ revoke: actAsBakeBuild });
    try {
      // First, so that a grant missing from the wiring shows here by its permission.
      expect(stack.iam.denials.map((d) => [d.member, d.permission])).toEqual([
        [stack.iam.names.member('bakeSubmitter'), 'iam.serviceAccounts.actAs'],
      ]);
      expect(code, out).toBe(1);
      const bakeBuild = stack.iam.names.email('bakeBuild');
      expect(run).toMatchObject({
        status: 'failed',
        failure: {
          stage: 'bake',
          reason: expect.stringContaining(
            `Permission 'iam.serviceAccounts.actAs' denied on resource 'projects/-/serviceAccounts/${bakeBuild}'`,
          ),
        },
      });
      expect(notes).toMatch(/failed at bake ❌/);
      expect(out).toContain(`IAM refused ${stack.iam.names.member('bakeSubmitter')} iam.serviceAccounts.actAs`);
    } finally {
      await stack.stop();
    }
  });

  it('fails the candidate at load-test, and so the run, when the job cannot run its test', async () => {
    const { code, run, notes, stack, out } = await release({ functionsEnv: { LOAD_TEST_THRESHOLDS: 'banana<1' } });
    try {
      expect(stack.iam.denials).toEqual([]);
      expect(code, out).toBe(1);
      // Its one candidate fails at load-test; with nothing measured, the run promotes nothing and says why.
      const why = /the load test could not run: [\s\S]*banana<1/;
      expect(run).toMatchObject({
        status: 'failed',
        scenarios: { [DEFAULT_SCENARIO]: { status: 'failed', stage: 'load-test', reason: expect.stringMatching(why) } },
        failure: { stage: 'promote', reason: expect.stringMatching(why) },
      });
      expect(notes).toContain('failed at load-test');
    } finally {
      await stack.stop();
    }
  });

  it('refuses the refused bake its PipelineFailed when the plan leaves out that grant', async () => {
    const project = `iam-${process.pid}-bake`;
    const stack = await startLocalStack({
      dir: mkdtempSync(join(tmpdir(), 'modelship-iam-')),
      ports: { functions: 0, cloudbuild: 0, releases: 0 },
      emulatorHosts: { pubsub: inject('pubsubHost'), firestore: inject('firestoreHost') },
      images: localImages(),
      project,
      functions: ['bakeModel'],
      functionsEnv: {},
      revoke: (g) => actAsBakeBuild(g) || grantOf('bakeSubmitter', 'roles/pubsub.publisher', 'pipeline-failed')(g),
    });
    try {
      const url = `${stack.bake!.releases.apiUrl}/repos/local/models/releases/assets/1`;
      // The webhook opens the run before ModelReleased goes out; bakeModel acts on no other.
      await createFirestoreStore(stack.firestore).createRun({ runId: 'r-iam-1' });
      await createPublisher(stack.pubsub)({
        type: 'ModelReleased',
        version: 1,
        runId: 'r-iam-1',
        repository: 'local/models',
        release: {
          id: 1,
          tag: 'v1',
          name: null,
          htmlUrl: 'https://github.com/local/models/releases/v1',
          prerelease: false,
        },
        asset: { id: 1, name: 'saved_model.tar.gz', url, browserDownloadUrl: url, size: 10 },
        deliveryId: 'd-iam-1',
        receivedAt: new Date().toISOString(),
      });
      const denied = await stack.iam.denied((d) => d.permission === 'pubsub.topics.publish');
      expect(denied).toMatchObject({
        member: stack.iam.names.member('bakeSubmitter'),
        resource: `projects/${project}/topics/pipeline-failed`,
      });
    } finally {
      await stack.stop();
    }
  });
});
