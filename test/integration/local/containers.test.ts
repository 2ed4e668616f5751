import { CloudBuildClient } from '@google-cloud/cloudbuild';
import { describe, expect, it, vi } from 'vitest';
import { clientOptions } from '../../../shared/gcp/client-options.js';
import { followRun } from '../../../operator/follow-run.js';
import { createPublisher } from '../../../shared/gcp/publisher.js';
import { redeploy } from '../../../operator/redeploy.js';
import { createFirestoreStore } from '../../../shared/store.js';
import type { LocalStack } from '../../../local/stack.js';
import { servingImage } from '../../support/faults.js';
import { releasesOnOneStack, scenarios } from '../../support/local-release.js';
import { localImages } from '../../support/local-images.js';

/**
 * Issue 11: what Google Cloud would refuse, the local stack refuses the same way, at the same step, with the reason,
 * because it runs the real images as containers. Each case is a release (or a redeploy) through the whole stack.
 */

// A release builds, pulls and starts a dozen containers on two shared cores, measures its candidates and promotes one.
vi.setConfig({ testTimeout: 360_000 });

/**
 * The cases' releases, one after the other on one stack, `small` their candidate; each sets only what its bake runs
 * with. The first three fail before anything serves, so each finds the stack as the first found it; the last one
 * succeeds, and its redeploy goes on top of it.
 */
const dir = scenarios();
const release = releasesOnOneStack({ scenario: 'small', functionsEnv: { SCENARIOS_DIR: dir } });

describe('the pipeline in containers fails at the right step, with the reason', () => {
  it('fails the bake at fetch when the tool image has no `modelship` on its PATH', async () => {
    // The TF Serving base has Node.js but not modelship: Cloud Build's runc refuses the entrypoint.
    const { code, run, stack, out } = await release({ bake: { MODELSHIP_IMAGE: localImages().tfServingBase } });
    expect(code, out).toBe(1);
    expect(run).toMatchObject({ status: 'failed', failure: { stage: 'bake' } });
    expect(run?.failure?.reason).toMatch(/fetch/);
    expect(await buildLog(stack, run?.runId)).toMatch(/executable file not found in \$PATH/);
    expect(stack.deploy?.kubernetes.store.list('v1', 'Pod')).toEqual([]);
  });

  it('fails the bake at fetch when the tool image runs as a user who cannot write /workspace', async () => {
    const { code, run, stack, out } = await release({ bake: { MODELSHIP_IMAGE: localImages().loadTester } });
    expect(code, out).toBe(1);
    expect(run).toMatchObject({ status: 'failed', failure: { stage: 'bake' } });
    expect(run?.failure?.reason).toMatch(/fetch/);
    expect(await buildLog(stack, run?.runId)).toMatch(/EACCES|permission denied/i);
  });

  it('promotes nothing when the pushed image holds no model where TF Serving looks', async () => {
    // The bake puts the model at /models/elsewhere; the scenario serves `resnet`, which the image does not hold.
    const { code, run, stack, out } = await release({ bake: { BAKE_MODEL_NAME: 'elsewhere' } });
    expect(code, out).toBe(1);
    // The candidate fails at deploy and is deleted; nothing is promoted, nothing serves.
    expect(run).toMatchObject({
      status: 'failed',
      scenarios: { small: { status: 'failed', stage: 'deploy' } },
      failure: { stage: 'promote' },
    });
    expect(run?.stages['load-test']).toBeUndefined();
    expect(stack.deploy?.kubernetes.store.list('apps/v1', 'Deployment', 'default')).toEqual([]);
  });

  it('fails a candidate whose image digest is not in the registry, with the pull error, and keeps what serves', async () => {
    // Its baseline must become ready, so the scenario has the usual start-up allowance; the candidate fails at once
    // anyway, on its pull error.
    const { code, stack, out, serving } = await release();
    try {
      expect(code, out).toBe(0);
      const missing = `${localImages().registry}/modelship/serving@sha256:${'0'.repeat(64)}`;
      process.env.SCENARIOS_DIR = dir;
      const message = await redeploy(
        { scenarios: ['small'], namespace: 'default', image: missing },
        { store: createFirestoreStore(stack.firestore), publish: createPublisher(stack.pubsub) },
      );
      const lines: string[] = [];
      const run = await followRun(stack.firestore, message.runId, { print: (l) => lines.push(l), timeoutMs: 120_000 });
      // The serving image is measured beside it as its baseline; the candidate fails at deploy and is deleted.
      expect(run, lines.join('\n')).toMatchObject({
        status: 'failed',
        scenarios: {
          small: { status: 'failed', stage: 'deploy', image: missing },
          'small~baseline': { status: 'succeeded', image: serving },
        },
        failure: { stage: 'promote' },
      });
      // The pods of the bad digest are gone with the candidate; the reason they never ran stays in the run.
      expect(run.scenarios?.small?.reason).toMatch(
        /is in (ErrImagePull|ImagePullBackOff): failed to pull image .*manifest unknown/s,
      );
      expect(await servingImage(stack)).toBe(serving);
    } finally {
      delete process.env.SCENARIOS_DIR;
    }
  });
});

/** The log of the run's bake, as the Cloud Build emulator serves it. */
async function buildLog(stack: LocalStack, runId?: string): Promise<string> {
  const builds = new CloudBuildClient(clientOptions(stack.bake?.cloudBuild.host));
  try {
    const [listed] = await builds.listBuilds({ projectId: stack.project, filter: `tags="run-${runId}"` });
    const id = listed[0]?.id;
    if (!id) throw new Error(`no build for run ${runId}`);
    return stack.bake?.cloudBuild.logOf(id) ?? '';
  } finally {
    await builds.close();
  }
}
