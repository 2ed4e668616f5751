import type { Message } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnBuildFinished } from '../../../functions/on-build-finished.js';
import type { BuildStatus } from '../../../shared/bake/build-view.js';
import { runTag } from '../../../shared/bake/build-request.js';
import { createPublisher } from '../../../shared/gcp/publisher.js';
import type { PubsubCloudEvent } from '../../../shared/gcp/pubsub-event.js';
import { createMemoryLogger } from '../../support/memory-logger.js';
import { DeployRequested, PipelineFailed } from '../../../shared/messages.js';
import { createFirestoreStore, type Store } from '../../../shared/store.js';
import { TOPICS } from '../../../shared/topics.js';
import { subscribe, testProject, type Inbox, type TestProject } from '../../support/emulators.js';
import { FakeCloudBuild } from '../../support/fake-cloud-build.js';
import { deadlines } from '../../../shared/deadline.js';
import { ClaimBusyError } from '../../../shared/idempotency.js';

const SCENARIOS = ['2n-8c-16r-interop4', '8n-2c-4r-interop2'];
const IMAGE = `europe-docker.pkg.dev/p/modelship/resnet-serving@sha256:${'ab'.repeat(32)}`;
let project: TestProject;
let store: Store;
let deploys: Inbox;
let failures: Inbox;
let handle: (notification: Record<string, unknown>) => Promise<void>;
const cloudBuild = new FakeCloudBuild();
const log = createMemoryLogger();

beforeAll(async () => {
  project = await testProject();
  store = createFirestoreStore(project.firestore);
  deploys = await subscribe(project.pubsub, TOPICS.deployRequested);
  failures = await subscribe(project.pubsub, TOPICS.pipelineFailed);
  const deps = {
    config: { DEPLOY_SCENARIOS: SCENARIOS, K8S_NAMESPACE: 'default', CANDIDATE_VCPUS: 0 },
    store,
    publish: createPublisher(project.pubsub),
    log,
    cloudBuild,
    deadlines: deadlines(600),
  };
  const handler = createOnBuildFinished(() => deps) as unknown as (e: PubsubCloudEvent) => Promise<void>;
  let n = 0;
  handle = (notification) =>
    handler({
      id: `e-${++n}`,
      data: {
        message: {
          data: Buffer.from(JSON.stringify(notification)).toString('base64'),
          attributes: { buildId: String(notification.id), status: String(notification.status) },
        },
      },
    });
});
afterAll(async () => {
  await deploys?.close();
  await failures?.close();
  await project?.close();
});

let runs = 0;
/** A bake build of a fresh run, as bakeModel submits it (the steps of bake-model.yaml). */
async function bakeBuild(tags?: string[], open = true) {
  const runId = `20261125-170000-${(++runs).toString(16).padStart(6, '0')}`;
  if (open) await store.createRun({ runId });
  const steps = ['fetch', 'extract', 'layout', 'push'].map((id) => ({
    id,
    name: id === 'push' ? 'gcrane' : 'modelship',
  }));
  const build = await cloudBuild.submit({ steps, tags: tags ?? ['modelship', runTag(runId)] });
  return { runId, id: build.id };
}

const json = (m: Message) => JSON.parse(m.data.toString('utf8')) as unknown;
const published = async (inbox: Inbox, topic: string, runId: string) =>
  (await inbox.drain(project.pubsub.topic(topic))).filter((m) => m.attributes.runId === runId);

describe('onBuildFinished', () => {
  it('requests a deploy of the image, by digest, for each configured scenario', async () => {
    const { runId, id } = await bakeBuild();
    await handle(cloudBuild.finish(id, 'SUCCESS', { outputs: { push: IMAGE } }));
    const requested = (await published(deploys, TOPICS.deployRequested, runId)).map((m) =>
      DeployRequested.parse(json(m)),
    );
    expect(requested.map((d) => d.scenario).sort()).toEqual([...SCENARIOS].sort());
    expect(requested.every((d) => d.image === IMAGE && d.requestedBy === 'pipeline')).toBe(true);
    expect((await store.getRun(runId))?.stages.bake).toMatchObject({
      status: 'succeeded',
      details: { buildId: id, image: IMAGE, logUrl: `https://fake.cloudbuild/${id}` },
    });
  });

  it('deploys nothing twice, however often the notification comes', async () => {
    const { runId, id } = await bakeBuild();
    const notification = cloudBuild.finish(id, 'SUCCESS', { outputs: { push: IMAGE } });
    const burst = await Promise.allSettled([handle(notification), handle(notification), handle(notification)]);
    await handle(notification);
    // A delivery that met a live claim comes back (not acknowledged): never a second deploy.
    for (const r of burst) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ClaimBusyError);
    expect(await published(deploys, TOPICS.deployRequested, runId)).toHaveLength(SCENARIOS.length);
  });

  it('ignores builds that are not modelship’s and states that are not final', async () => {
    const foreign = await bakeBuild(['someone-else']);
    await handle(cloudBuild.finish(foreign.id, 'SUCCESS', { outputs: { push: IMAGE } }));
    const { runId, id } = await bakeBuild();
    for (const status of ['QUEUED', 'WORKING'] as const) await handle(cloudBuild.finish(id, status));
    expect(await published(deploys, TOPICS.deployRequested, runId)).toEqual([]);
    expect(await published(failures, TOPICS.pipelineFailed, runId)).toEqual([]);
    expect((await store.getRun(runId))?.stages.bake).toBeUndefined();
  });

  it('fails the bake with the failed step, its meaning, Cloud Build’s detail and the log, once', async () => {
    const { runId, id } = await bakeBuild();
    const notification = cloudBuild.finish(id, 'FAILURE', { failedStep: 'layout' });
    await handle(notification);
    await handle(notification);
    const sent = await published(failures, TOPICS.pipelineFailed, runId);
    expect(sent).toHaveLength(1);
    const failure = PipelineFailed.parse(json(sent[0]!));
    expect(failure).toEqual({
      type: 'PipelineFailed',
      version: 1,
      runId,
      stage: 'bake',
      reason: `build ${id} failed in step layout (the release holds no servable SavedModel): Build step failure: build step 2 "modelship" failed: step exited with non-zero status: 1`,
      detailsUrl: `https://fake.cloudbuild/${id}`,
    });
    // reportResults ends the run; should its report never come, the run's deadline carries the failure.
    expect(await store.getRun(runId)).toMatchObject({
      status: 'running',
      deadline: { stage: 'report', failure: { stage: 'bake', reason: failure.reason, detailsUrl: failure.detailsUrl } },
      stages: { bake: { status: 'failed', reason: failure.reason } },
    });
    expect(await published(deploys, TOPICS.deployRequested, runId)).toEqual([]);
  });

  it.each([
    ['TIMEOUT', /timed out/],
    ['INTERNAL_ERROR', /hit a Cloud Build internal error/],
    ['CANCELLED', /was cancelled/],
    ['EXPIRED', /expired before it started/],
  ] as Array<[BuildStatus, RegExp]>)('fails the run on %s', async (status, says) => {
    const { runId, id } = await bakeBuild();
    await handle(cloudBuild.finish(id, status));
    const [sent] = await published(failures, TOPICS.pipelineFailed, runId);
    expect(PipelineFailed.parse(json(sent!)).reason).toMatch(says);
    expect((await store.getRun(runId))?.stages.bake?.status).toBe('failed');
  });

  it('fails the run when a build succeeds without recording an image by digest', async () => {
    const { runId, id } = await bakeBuild();
    await handle(cloudBuild.finish(id, 'SUCCESS', { outputs: { push: 'registry/repo:latest' } }));
    const [sent] = await published(failures, TOPICS.pipelineFailed, runId);
    expect(PipelineFailed.parse(json(sent!)).reason).toMatch(/succeeded but recorded no image by digest/);
    expect(await published(deploys, TOPICS.deployRequested, runId)).toEqual([]);
  });

  it('trusts Cloud Build, not the notification: a forged SUCCESS deploys nothing, a forged image is not used', async () => {
    const { runId, id } = await bakeBuild();
    // Cloud Build says the build is still running: a SUCCESS notification for it is forged.
    const forged = { ...cloudBuild.finish(id, 'WORKING'), status: 'SUCCESS' };
    await handle(forged);
    await handle({ ...forged, id: '00000000-0000-4000-8000-000000000000' });
    expect(await published(deploys, TOPICS.deployRequested, runId)).toEqual([]);
    const dropped = log.lines.filter((l) => l.message === 'message dropped').map((l) => String(l.error));
    expect(dropped).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`build ${id} is WORKING according to Cloud Build, not SUCCESS as notified`)),
        expect.stringMatching(/build 00000000-0000-4000-8000-000000000000 is not known to Cloud Build/),
      ]),
    );
    // The real SUCCESS, notified with another image: the build's own record decides what is deployed.
    const real = cloudBuild.finish(id, 'SUCCESS', { outputs: { push: IMAGE } });
    const evil = `evil.example.com/x@sha256:${'cd'.repeat(32)}`;
    const steps = (real.results as { buildStepOutputs: string[] }).buildStepOutputs.map((o) =>
      o ? Buffer.from(evil).toString('base64') : o,
    );
    await handle({ ...real, results: { buildStepOutputs: steps } });
    const requested = (await published(deploys, TOPICS.deployRequested, runId)).map((m) =>
      DeployRequested.parse(json(m)),
    );
    expect(requested.map((d) => d.image)).toEqual(SCENARIOS.map(() => IMAGE));
  });

  it('refuses a build of a run that does not exist, and ignores one of a finished run', async () => {
    const unknown = await bakeBuild(undefined, false);
    await handle(cloudBuild.finish(unknown.id, 'SUCCESS', { outputs: { push: IMAGE } }));
    expect(await published(deploys, TOPICS.deployRequested, unknown.runId)).toEqual([]);
    expect(await store.getRun(unknown.runId)).toBeUndefined();
    expect(log.lines.some((l) => String(l.error).includes(`run ${unknown.runId}, which does not exist`))).toBe(true);

    const { runId, id } = await bakeBuild();
    await store.finishRun(runId, { status: 'failed', stage: 'bake', reason: 'past its deadline' });
    await handle(cloudBuild.finish(id, 'SUCCESS', { outputs: { push: IMAGE } }));
    expect(await published(deploys, TOPICS.deployRequested, runId)).toEqual([]);
    expect(await store.getRun(runId)).toMatchObject({ status: 'failed', failure: { reason: 'past its deadline' } });
  });

  it('drops a modelship build without a run tag, saying so', async () => {
    const { id } = await bakeBuild(['modelship']);
    await handle(cloudBuild.finish(id, 'SUCCESS', { outputs: { push: IMAGE } }));
    expect(
      log.lines.some((l) => l.message === 'message dropped' && String(l.error).includes('no run-<runId> tag')),
    ).toBe(true);
  });
});
