import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudBuildClient } from '@google-cloud/cloudbuild';
import type { Message } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBakeModel } from '../../../functions/bake-model.js';
import { deadlines } from '../../../shared/deadline.js';
import { createOnBuildFinished } from '../../../functions/on-build-finished.js';
import {
  startCloudBuildEmulator,
  type CloudBuildEmulator,
} from '../../../local/emulators/cloudbuild/cloudbuild-emulator.js';
import { inProcessSteps } from '../../../local/emulators/cloudbuild/step-runner.js';
import { resolveImage } from '../../../local/image-store.js';
import { waitUntil } from '../../../local/wait-until.js';
import { startReleaseServer, type ReleaseServer } from '../../../local/release-server.js';
import { BAKE_SETTINGS } from '../../../shared/bake/bake-params.js';
import { loadBakeTemplate, runTag } from '../../../shared/bake/build-request.js';
import { loadConfig } from '../../../shared/config.js';
import { clientOptions } from '../../../shared/gcp/client-options.js';
import { createCloudBuild, type CloudBuild } from '../../../shared/gcp/cloud-build.js';
import { createPublisher, type Publish } from '../../../shared/gcp/publisher.js';
import type { PubsubCloudEvent } from '../../../shared/gcp/pubsub-event.js';
import { createMemoryLogger } from '../../support/memory-logger.js';
import { DeployRequested, PipelineFailed, type ModelReleased } from '../../../shared/messages.js';
import { createFirestoreStore, type Store } from '../../../shared/store.js';
import { TOPICS } from '../../../shared/topics.js';
import { subscribe, testProject, type Inbox, type TestProject } from '../../support/emulators.js';
import { pushTo } from '../../support/push.js';
import {
  SMALL_ASSET_CAP,
  goodRelease,
  modelReleasedFor,
  releaseCases,
  type ReleaseCase,
} from '../../support/releases.js';

/**
 * The second link end to end, on the emulators: ModelReleased → bakeModel → the Cloud Build emulator (the steps of
 * cloudbuild/bake-model.yaml, run for real against the local release server) → cloud-builds → onBuildFinished →
 * DeployRequested or PipelineFailed. Messages travel through the Pub/Sub emulator; state lives in the Firestore one.
 */

const TARGET = 'registry.local/modelship/resnet-serving';
const TOKEN_SECRET = 'modelship-github-token';
let project: TestProject;
let work: string;
let releases: ReleaseServer;
let emulator: CloudBuildEmulator;
let client: CloudBuildClient;
let cloudBuild: CloudBuild;
let store: Store;
let publish: Publish;
let deploys: Inbox;
let failures: Inbox;
const closers: Array<() => Promise<void>> = [];
const log = createMemoryLogger();
let runs = 0;

// The release tarballs are generated before the tests are collected, so that each case is a test of its own.
const CASES = (await releaseCases()).filter((c) => c.name !== 'the seed layout (1/saved_model.pb)');
const runId = () => `20261125-150000-${(++runs).toString(16).padStart(6, '0')}`;

beforeAll(async () => {
  project = await testProject();
  work = await mkdtemp(join(tmpdir(), 'modelship-bake-'));
  releases = await startReleaseServer();
  emulator = await startCloudBuildEmulator({
    pubsub: project.pubsub,
    executeStep: inProcessSteps(join(work, 'images')),
    workDir: work,
    secrets: { [`projects/${project.projectId}/secrets/${TOKEN_SECRET}/versions/latest`]: 'the-token' },
  });
  client = new CloudBuildClient(clientOptions(emulator.host));
  cloudBuild = createCloudBuild({ client, project: project.projectId, log });
  store = createFirestoreStore(project.firestore);
  publish = createPublisher(project.pubsub);
  const env = {
    MODELSHIP_IMAGE: 'registry.local/modelship/modelship:dev',
    TARGET_IMAGE_REPOSITORY: TARGET,
    BAKE_MAX_ASSET_BYTES: String(SMALL_ASSET_CAP),
    GITHUB_TOKEN_SECRET: TOKEN_SECRET,
    GITHUB_API_URL: releases.apiUrl,
  };
  const bakeDeps = {
    config: loadConfig(BAKE_SETTINGS, env),
    template: loadBakeTemplate(),
    cloudBuild,
    store,
    publish,
    log,
    deadlines: deadlines(600),
  };
  // The default DEPLOY_SCENARIOS: the seed's recommended scenario only (several are covered in bake-build-finished).
  const finishedDeps = {
    config: loadConfig(['DEPLOY_SCENARIOS', 'K8S_NAMESPACE', 'CANDIDATE_VCPUS'], {}),
    store,
    publish,
    log,
    cloudBuild,
    deadlines: deadlines(600),
  };
  const asHandler = (f: unknown) => f as (event: PubsubCloudEvent) => Promise<void>;
  deploys = await subscribe(project.pubsub, TOPICS.deployRequested);
  failures = await subscribe(project.pubsub, TOPICS.pipelineFailed);
  for (const push of [
    await pushTo(project.pubsub, TOPICS.modelReleased, asHandler(createBakeModel(() => bakeDeps))),
    await pushTo(project.pubsub, TOPICS.cloudBuilds, asHandler(createOnBuildFinished(() => finishedDeps))),
  ]) {
    closers.push(() => push.close());
  }
});

afterAll(async () => {
  for (const close of closers) await close();
  await deploys?.close();
  await failures?.close();
  await client?.close();
  await emulator?.stop();
  await releases?.stop();
  await project?.close();
  await rm(work, { recursive: true, force: true });
});

/** The messages of one run on an inbox, once `count` of them have arrived. */
async function messagesOf(inbox: Inbox, run: string, count: number, timeoutMs = 30_000): Promise<Message[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mine = inbox.messages.filter((m) => m.attributes.runId === run);
    if (mine.length >= count) return mine;
    await inbox.waitFor(inbox.messages.length + 1, Math.max(1, deadline - Date.now()));
  }
}

/** Everything published so far for a run, after a sentinel shows nothing more is in flight. */
async function allOf(inbox: Inbox, topic: string, run: string): Promise<Message[]> {
  await emulator.idle();
  return (await inbox.drain(project.pubsub.topic(topic))).filter((m) => m.attributes.runId === run);
}

async function release(tarball: Buffer, options: { token?: string } = {}): Promise<ModelReleased> {
  const served = releases.addRelease({
    repository: 'modelship/sample-model',
    tag: `v1.0.${runs}`,
    assets: [{ name: 'saved_model.tar.gz', content: tarball }],
    ...options,
  });
  const message = modelReleasedFor(served, runId());
  // The webhook opens the run before it publishes.
  await store.createRun({ runId: message.runId });
  await publish(message);
  return message;
}

describe('bakeModel → Cloud Build → onBuildFinished', () => {
  it('bakes a release into one image, in one build, and requests one deploy of it, by digest', async () => {
    const message = await release(await goodRelease());
    const [deploy] = await messagesOf(deploys, message.runId, 1);
    const requested = DeployRequested.parse(JSON.parse(deploy!.data.toString('utf8')));
    expect(requested).toMatchObject({ runId: message.runId, scenario: '2n-8c-16r-interop4', requestedBy: 'pipeline' });
    const image = requested.image;
    expect(image).toMatch(new RegExp(`^${TARGET}@sha256:[a-f0-9]{64}$`));
    expect(await allOf(deploys, TOPICS.deployRequested, message.runId)).toHaveLength(1);
    expect(await allOf(failures, TOPICS.pipelineFailed, message.runId)).toEqual([]);

    const stored = await resolveImage(join(work, 'images'), image);
    expect(stored.env.MODEL_NAME).toBe('resnet');
    expect(stored.tags).toEqual([`${TARGET}:${message.release.tag}`]);
    expect(existsSync(join(stored.modelsDir, 'resnet', '1', 'saved_model.pb'))).toBe(true);

    const builds = await cloudBuild.findByTag(runTag(message.runId));
    expect(builds).toHaveLength(1);
    const run = await store.getRun(message.runId);
    expect(run?.stages.bake).toMatchObject({ status: 'succeeded', details: { buildId: builds[0]?.id, image } });
  });

  it('submits nothing new when ModelReleased is delivered again, and deploys nothing twice', async () => {
    const message = await release(await goodRelease());
    await messagesOf(deploys, message.runId, 1);
    await publish(message);
    await publish(message);
    const duplicates = () =>
      log.lines.filter(
        (l) =>
          l.message === 'duplicate ModelReleased ignored' &&
          (l['logging.googleapis.com/labels'] as { runId?: string }).runId === message.runId,
      ).length;
    await waitUntil('bakeModel to see both redeliveries', async () => (duplicates() >= 2 ? true : undefined), {
      timeoutMs: 10_000,
    });
    expect(await allOf(deploys, TOPICS.deployRequested, message.runId)).toHaveLength(1);
    expect(await cloudBuild.findByTag(runTag(message.runId))).toHaveLength(1);
    expect(releases.downloads).toBeGreaterThan(0);
  });

  it('reads a private release with the token from Secret Manager, which the build never logs', async () => {
    const message = await release(await goodRelease(), { token: 'the-token' });
    const [deploy] = await messagesOf(deploys, message.runId, 1);
    expect(deploy).toBeDefined();
    const [build] = await cloudBuild.findByTag(runTag(message.runId));
    expect(emulator.logOf(build?.id ?? '')).not.toContain('the-token');
  });

  describe('each bad release fails its build with a clear reason, and nothing is deployed', () => {
    it.each(CASES)('$name', async (c: ReleaseCase) => {
      const message = await release(c.tarball);
      if (!c.fails) {
        const [deploy] = await messagesOf(deploys, message.runId, 1);
        const image = DeployRequested.parse(JSON.parse(deploy!.data.toString('utf8'))).image;
        const stored = await resolveImage(join(work, 'images'), image);
        expect(existsSync(join(stored.modelsDir, 'resnet', '1', 'saved_model.pb'))).toBe(true);
        const [build] = await cloudBuild.findByTag(runTag(message.runId));
        expect(emulator.logOf(build!.id)).toContain('(version directory added)');
        return;
      }
      const [failed] = await messagesOf(failures, message.runId, 1);
      const failure = PipelineFailed.parse(JSON.parse(failed!.data.toString('utf8')));
      expect(failure).toMatchObject({
        stage: 'bake',
        detailsUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/builds\//),
      });
      // The step's own reason, from its $BUILDER_OUTPUT/output, not only Cloud Build's "non-zero status".
      expect(failure.reason).toMatch(new RegExp(`failed in step ${c.fails.step}: `));
      expect(failure.reason).toMatch(c.fails.says);
      const buildLog = await (await fetch(failure.detailsUrl ?? '')).text();
      expect(buildLog).toMatch(c.fails.says);
      expect(buildLog).toMatch(new RegExp(`Step #\\d - "${c.fails.step}": modelship bake: `));

      const run = await store.getRun(message.runId);
      expect(run).toMatchObject({ deadline: { failure: { stage: 'bake', reason: failure.reason } } });
      expect(run?.stages.bake).toMatchObject({ status: 'failed', reason: failure.reason });
      expect(await allOf(deploys, TOPICS.deployRequested, message.runId)).toEqual([]);
      expect(await allOf(failures, TOPICS.pipelineFailed, message.runId)).toHaveLength(1);
    });
  });
});
