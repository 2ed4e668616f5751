import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CloudBuildClient } from '@google-cloud/cloudbuild';
import { describe, expect, it, vi } from 'vitest';
import { podman } from '../../../local/containers/podman.js';
import { DEFAULT_SCENARIO } from '../../../shared/deploy/index.js';
import { POD_NAME_LABEL, POD_NAMESPACE_LABEL } from '../../../local/emulators/kubernetes/podman-launcher.js';
import { clientOptions } from '../../../shared/gcp/client-options.js';
import { release, sharedRelease } from '../../support/local-release.js';
import { localImages } from '../../support/local-images.js';

/**
 * The end-to-end tests of issue 7: the whole pipeline on this machine, from the signed webhook to the results on the
 * release, on the real Pub/Sub and Firestore emulators (shared with the suite, one project per test) and modelship's
 * emulators of Cloud Build, Kubernetes and Cloud Run in container mode: every build step, pod and load-test task is a
 * container of its image, and images go through the local registry.
 */

// A release builds, pulls and starts a dozen containers on two shared cores, measures its candidates and promotes one.
vi.setConfig({ testTimeout: 360_000 });

/** One release whose webhook delivery is sent three times, as GitHub's "Redeliver" does: read by the first two tests. */
const released = sharedRelease({ deliveries: 3 });

describe('the whole pipeline on one machine', () => {
  it('goes from the webhook to a load-tested deployment and writes the results on the release', async () => {
    const { code, run, notes, serving, stack, out } = await released();
    expect(code, out).toBe(0);
    expect(run).toMatchObject({ status: 'succeeded', repository: 'modelship/sample-model', tag: 'v1.0.0' });
    for (const stage of ['webhook', 'bake', 'deploy', 'load-test', 'promote', 'report'] as const) {
      expect(run?.stages[stage]?.status, stage).toBe('succeeded');
    }
    // The release's one scenario, measured as a candidate (nothing served before it: no baseline), then promoted.
    expect(run?.result).toMatchObject({ promoted: DEFAULT_SCENARIO });
    expect(Object.keys(run?.scenarios ?? {})).toEqual([DEFAULT_SCENARIO]);
    const candidate = run?.scenarios?.[DEFAULT_SCENARIO];
    const image = candidate?.image ?? '';
    expect(candidate?.figures?.requests).toBeGreaterThan(0);
    expect(candidate?.figures?.failures).toBe(0);
    expect(image).toMatch(/@sha256:[a-f0-9]{64}$/);
    expect(existsSync(fileURLToPath(candidate?.reportUrl ?? ''))).toBe(true);
    expect(run?.promotion).toMatchObject({ status: 'promoted', scenario: DEFAULT_SCENARIO, image });
    // The baked image is in the registry, and the serving pods are containers of it, pulled from there.
    const [repository, digest] = image.split('@') as [string, string];
    expect(repository).toBe(`${localImages().registry}/modelship/serving`);
    const manifest = await fetch(`http://${localImages().registry}/v2/modelship/serving/manifests/${digest}`, {
      headers: {
        accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      },
    });
    expect(manifest.status).toBe(200);
    const pods = JSON.parse(
      await podman(['ps', '--filter', `label=${POD_NAMESPACE_LABEL}=default`, '--format', 'json']),
    ) as Array<{ Image: string; Labels: Record<string, string> }>;
    // Other tests' stacks may run the same image (the bake is reproducible): only this cluster's pods count. The
    // candidate is torn down once promoted: its two pods are gone, the serving deployment's two run the image.
    const mine = new Set(stack.deploy?.kubernetes.store.list('v1', 'Pod', 'default').map((p) => p.metadata?.name));
    expect(pods.filter((p) => p.Image === image && mine.has(p.Labels[POD_NAME_LABEL] ?? ''))).toHaveLength(2);
    expect(serving).toBe(image);
    expect(notes).toContain(`${DEFAULT_SCENARIO} promoted ✅`);
    expect(out).toMatch(/✓ run \S+ succeeded/);
    // The notes outlive the stand-in GitHub: printed, and kept beside the run's record.
    expect(out).toContain(`release notes of modelship/sample-model@v1.0.0 (kept in `);
    expect(out).toContain(`${DEFAULT_SCENARIO} promoted ✅`);
    // Every call of every function and of the job went through IAM as the plan grants it: none was refused.
    // Take one grant out of shared/wiring.ts and this names the permission and the resource it was refused on.
    expect(stack.iam.denials).toEqual([]);
  });

  it('runs one pipeline for the same delivery sent three times', async () => {
    const { code, run, stack, out } = await released();
    expect(code, out).toBe(0);
    expect(out.match(/HTTP 202/g)).toHaveLength(1);
    expect(out.match(/HTTP 200 \{"duplicate":true/g)).toHaveLength(2);
    const builds = new CloudBuildClient(clientOptions(stack.bake?.cloudBuild.host));
    const [listed] = await builds.listBuilds({ projectId: stack.project, filter: `tags="run-${run?.runId}"` });
    await builds.close();
    expect(listed).toHaveLength(1);
    expect(stack.loadTests?.run.executions.size).toBe(1);
  });

  it('fails a broken release at bake, says why on the release, and deploys nothing', async () => {
    const { code, run, notes, stack, out } = await release({ tarball: Buffer.from('this is not a tarball') });
    try {
      expect(code, out).toBe(1);
      expect(run).toMatchObject({ status: 'failed', failure: { stage: 'bake' } });
      expect(run?.stages.deploy).toBeUndefined();
      expect(notes).toMatch(/failed at bake ❌/);
      // The step's own reason, on the run and on the release; the build log's file, which outlives the stack.
      expect(run?.failure?.reason).toMatch(/failed in step extract: .*not a tarball/);
      expect(notes).toMatch(/not a tarball/);
      expect(out).toMatch(/build log: \S+\/cloudbuild\/logs\/[^/\s]+\.log/);
      // And the end of that log, the failed step's own words, printed under it.
      expect(out).toMatch(/build log: \S+\.log, its last \d+ lines:\n(?: {6}.*\n)*? {6}.*not a tarball/);
      expect(stack.deploy?.kubernetes.pids()).toEqual([]);
      expect(run?.scenarios).toBeUndefined();
      expect(stack.loadTests?.run.executions.size).toBe(0);
      expect(stack.iam.denials).toEqual([]);
    } finally {
      await stack.stop();
    }
  });
});
