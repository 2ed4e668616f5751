import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBakeModel } from '../../../functions/bake-model.js';
import { BAKE_SETTINGS } from '../../../shared/bake/bake-params.js';
import { loadBakeTemplate, runTag } from '../../../shared/bake/build-request.js';
import type { SubmitBakeDeps } from '../../../shared/bake/submit-bake.js';
import { loadConfig } from '../../../shared/config.js';
import { TransientError } from '../../../shared/errors.js';
import { BuildRejectedError } from '../../../shared/gcp/cloud-build.js';
import { createPublisher } from '../../../shared/gcp/publisher.js';
import type { PubsubCloudEvent } from '../../../shared/gcp/pubsub-event.js';
import { createMemoryLogger } from '../../support/memory-logger.js';
import { PipelineFailed, type ModelReleased } from '../../../shared/messages.js';
import { createFirestoreStore, type Store } from '../../../shared/store.js';
import { TOPICS } from '../../../shared/topics.js';
import { subscribe, testProject, type Inbox, type TestProject } from '../../support/emulators.js';
import { deadlines } from '../../../shared/deadline.js';
import { ClaimBusyError } from '../../../shared/idempotency.js';
import { FakeCloudBuild } from '../../support/fake-cloud-build.js';

let project: TestProject;
let store: Store;
let failures: Inbox;
const log = createMemoryLogger();
const template = loadBakeTemplate();
const ENV = {
  MODELSHIP_IMAGE: 'europe-docker.pkg.dev/p/modelship/modelship:1.2.3',
  TARGET_IMAGE_REPOSITORY: 'europe-docker.pkg.dev/p/modelship/resnet-serving',
  BUILD_MACHINE_TYPE: 'E2_HIGHCPU_8',
  BUILD_TIMEOUT: '900',
};

beforeAll(async () => {
  project = await testProject();
  store = createFirestoreStore(project.firestore);
  failures = await subscribe(project.pubsub, TOPICS.pipelineFailed);
});
afterAll(async () => {
  await failures?.close();
  await project?.close();
});

let n = 0;
function released(tag = 'v1.0.0'): ModelReleased {
  const runId = `20261125-160000-${(++n).toString(16).padStart(6, '0')}`;
  return {
    type: 'ModelReleased',
    version: 1,
    runId,
    repository: 'modelship/sample-model',
    release: {
      id: 17,
      tag,
      name: tag,
      htmlUrl: 'https://github.com/modelship/sample-model/releases/tag/v1',
      prerelease: false,
    },
    asset: {
      id: 42,
      name: 'saved_model.tar.gz',
      url: 'https://api.github.com/repos/modelship/sample-model/releases/assets/42',
      browserDownloadUrl: `https://github.com/modelship/sample-model/releases/download/${tag}/saved_model.tar.gz`,
      size: 1000,
    },
    deliveryId: `d-${runId}`,
    receivedAt: new Date().toISOString(),
  };
}

const event = (message: unknown): PubsubCloudEvent => ({
  id: `e-${++n}`,
  data: { message: { data: Buffer.from(JSON.stringify(message)).toString('base64'), messageId: `m-${n}` } },
});

function bakeModel(env: Record<string, string> = {}) {
  const cloudBuild = new FakeCloudBuild();
  const deps: SubmitBakeDeps = {
    config: loadConfig(BAKE_SETTINGS, { ...ENV, ...env }),
    template,
    cloudBuild,
    store,
    publish: createPublisher(project.pubsub),
    log,
    deadlines: deadlines(600),
  };
  const handler = createBakeModel(() => deps) as unknown as (e: PubsubCloudEvent) => Promise<void>;
  // The webhook opens the run before ModelReleased goes out.
  const handle = async (message: unknown, open = true) => {
    const runId = (message as { runId?: string }).runId;
    if (open && runId && !opened.has(runId)) {
      opened.add(runId);
      await store.createRun({ runId });
    }
    return handler(event(message));
  };
  return { cloudBuild, handle };
}
const opened = new Set<string>();

describe('bakeModel', () => {
  it('submits the build of cloudbuild/bake-model.yaml with the release, tags, timeout and machine type', async () => {
    const { cloudBuild, handle } = bakeModel();
    const message = released('release/2026.1+b7');
    await handle(message);
    expect(cloudBuild.submitted).toHaveLength(1);
    const { id, request } = cloudBuild.submitted[0]!;
    expect(request.steps?.map((s) => s.id)).toEqual(template.steps.map((s) => s.id));
    const { _GITHUB_TOKEN_SECRET: _unused, ...declared } = template.substitutions;
    expect(request.substitutions).toStrictEqual({
      ...declared,
      _ASSET_URL: message.asset.url,
      _GITHUB_REPOSITORY: 'modelship/sample-model',
      _GITHUB_API_URL: 'https://api.github.com',
      _TAG: 'release-2026.1-b7',
      _TARGET_IMAGE: ENV.TARGET_IMAGE_REPOSITORY,
      _MODELSHIP_IMAGE: ENV.MODELSHIP_IMAGE,
      _MODEL_NAME: 'resnet',
      _MODEL_VERSION: '1',
      _BASE_IMAGE: 'gcr.io/gcp-ml-172005/tfs-resnet-cpu-opt',
      _GCRANE_IMAGE: 'gcr.io/go-containerregistry/gcrane:debug',
      _MAX_ASSET_BYTES: '2147483648',
      _MAX_FILES: '10000',
      _MAX_EXTRACTED_BYTES: '8589934592',
      _SMOKE_CHECK: 'false',
    });
    expect(request.tags).toEqual(['modelship', runTag(message.runId)]);
    expect(request.timeout).toEqual({ seconds: 900 });
    expect(request.options).toMatchObject({ machineType: 'E2_HIGHCPU_8', substitutionOption: 'MUST_MATCH' });
    // A public repository: no secret is read, no step asks for one.
    expect(request.availableSecrets).toBeUndefined();
    expect(request.steps?.some((s) => s.secretEnv)).toBe(false);

    const run = await store.getRun(message.runId);
    expect(run?.stages.bake).toMatchObject({
      status: 'running',
      details: {
        buildId: id,
        logUrl: `https://fake.cloudbuild/${id}`,
        image: `${ENV.TARGET_IMAGE_REPOSITORY}:release-2026.1-b7`,
      },
    });
  });

  it('reads private releases through the token secret when GITHUB_TOKEN_SECRET is set', async () => {
    const { cloudBuild, handle } = bakeModel({ GITHUB_TOKEN_SECRET: 'gh-token' });
    await handle(released());
    const { request } = cloudBuild.submitted[0]!;
    expect(request.substitutions?._GITHUB_TOKEN_SECRET).toBe('gh-token');
    expect(request.availableSecrets).toEqual(template.availableSecrets);
    expect(request.steps?.find((s) => s.id === 'fetch')?.secretEnv).toEqual(['GITHUB_TOKEN']);
  });

  it('submits one build for a burst of the same message and for later redeliveries', async () => {
    const { cloudBuild, handle } = bakeModel();
    const message = released();
    opened.add(message.runId);
    await store.createRun({ runId: message.runId });
    const burst = await Promise.allSettled(Array.from({ length: 6 }, () => handle(message)));
    await handle(message);
    expect(cloudBuild.submitted).toHaveLength(1);
    // A delivery that met the live claim is not acknowledged (it comes back), never a second build.
    for (const r of burst) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ClaimBusyError);
  });

  it('throws on a transient failure so that Pub/Sub redelivers, and the redelivery submits', async () => {
    const { cloudBuild, handle } = bakeModel();
    const message = released();
    cloudBuild.failNext = new TransientError('Cloud Build: creating a build failed: 14 UNAVAILABLE');
    await expect(handle(message)).rejects.toBeInstanceOf(TransientError);
    expect(cloudBuild.submitted).toHaveLength(0);
    await handle(message);
    expect(cloudBuild.submitted).toHaveLength(1);
  });

  it('adopts the build of an attempt that died after Cloud Build accepted it, instead of baking twice', async () => {
    const { cloudBuild, handle } = bakeModel();
    const message = released();
    const earlier = await cloudBuild.submit({ steps: [{ name: 'x' }], tags: ['modelship', runTag(message.runId)] });
    await handle(message);
    expect(cloudBuild.submitted.map((s) => s.id)).toEqual([earlier.id]);
    expect((await store.getRun(message.runId))?.stages.bake?.details).toMatchObject({ buildId: earlier.id });
  });

  it('fails the run at once when Cloud Build refuses the build, and acknowledges the message', async () => {
    const { cloudBuild, handle } = bakeModel();
    const message = released();
    cloudBuild.failNext = new BuildRejectedError('Cloud Build: creating a build failed: 7 PERMISSION_DENIED');
    await handle(message);
    await handle(message);
    const mine = (await failures.drain(project.pubsub.topic(TOPICS.pipelineFailed))).filter(
      (m) => m.attributes.runId === message.runId,
    );
    expect(mine).toHaveLength(1);
    expect(PipelineFailed.parse(JSON.parse(mine[0]!.data.toString('utf8')))).toMatchObject({
      stage: 'bake',
      reason: expect.stringMatching(/the bake build was refused: .*PERMISSION_DENIED/),
    });
    expect(await store.getRun(message.runId)).toMatchObject({
      stages: { bake: { status: 'failed' } },
      deadline: { stage: 'report', failure: { stage: 'bake' } },
    });
    expect(cloudBuild.submitted).toHaveLength(0);
  });

  it('refuses a ModelReleased for a run that does not exist, building nothing', async () => {
    const { cloudBuild, handle } = bakeModel();
    const message = released();
    await handle(message, false);
    expect(cloudBuild.submitted).toHaveLength(0);
    expect(await store.getRun(message.runId)).toBeUndefined();
    expect(log.lines.some((l) => String(l.error).includes(`run ${message.runId}, which does not exist`))).toBe(true);
  });

  it.each([
    ['another repository', 'https://api.github.com/repos/someone/else/releases/assets/42'],
    ['another asset', 'https://api.github.com/repos/modelship/sample-model/releases/assets/43'],
    ['another host', 'https://attacker.example/repos/modelship/sample-model/releases/assets/42'],
  ])('drops a ModelReleased whose asset URL points at %s, claiming and submitting nothing', async (_, url) => {
    const { cloudBuild, handle } = bakeModel();
    const message = released();
    message.asset.url = url;
    await handle(message);
    expect(cloudBuild.submitted).toHaveLength(0);
    expect((await store.getRun(message.runId))?.stages.bake).toBeUndefined();
    const dropped = log.lines.find((l) => l.message === 'message dropped' && l.runId === message.runId);
    expect(dropped?.error).toBe(
      `ModelReleased refused, nothing baked: its asset URL ${url} is not ` +
        'https://api.github.com/repos/modelship/sample-model/releases/assets/42, a release asset of ' +
        'modelship/sample-model (modelship downloads only https://api.github.com/repos/OWNER/NAME/releases/assets/ID ' +
        'of the releasing repository, as the webhook checks)',
    );
    // Acknowledged, not redelivered: the bake of the same run with the real URL is still claimable.
    message.asset.url = released().asset.url;
    await handle(message);
    expect(cloudBuild.submitted).toHaveLength(1);
  });

  it('drops a malformed message without submitting anything', async () => {
    const { cloudBuild, handle } = bakeModel();
    await handle({ type: 'ModelReleased', version: 1, runId: 'NOT A RUN ID' });
    expect(cloudBuild.submitted).toHaveLength(0);
    expect(log.lines.some((l) => l.message === 'message dropped' && String(l.error).includes('runId'))).toBe(true);
  });
});
