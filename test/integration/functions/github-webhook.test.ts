import { randomUUID } from 'node:crypto';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { deadlines } from '../../../shared/deadline.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGithubWebhook } from '../../../functions/github-webhook.js';
import { loadConfig } from '../../../shared/config.js';
import { createPublisher, type Publish } from '../../../shared/gcp/publisher.js';
import { WEBHOOK_SETTINGS, type WebhookDeps } from '../../../shared/github/webhook.js';
import { createMemoryLogger } from '../../support/memory-logger.js';
import { ModelReleased } from '../../../shared/messages.js';
import { newRunId } from '../../../shared/run-id.js';
import { createFirestoreStore } from '../../../shared/store.js';
import { TOPICS } from '../../../shared/topics.js';
import { subscribe, testProject, type Inbox, type TestProject } from '../../support/emulators.js';
import { githubExample, publishedRelease, releaseAsset, signedHeaders } from '../../support/github.js';
import { listen } from '../../support/http-server.js';

const SECRET = 'current-secret-0123456789';
const PREVIOUS = 'previous-secret-0123456789';
const REPO = 'Codertocat/Hello-World';

let project: TestProject;
let inbox: Inbox;
let server: { url: string; close(): Promise<void> };
let published: number;
let failNextPublish: boolean;
const log = createMemoryLogger();

beforeAll(async () => {
  project = await testProject();
  inbox = await subscribe(project.pubsub, TOPICS.modelReleased);
  const realPublish = createPublisher(project.pubsub);
  const publish: Publish = async (m) => {
    if (failNextPublish) {
      failNextPublish = false;
      throw new Error('Pub/Sub unavailable');
    }
    published++;
    return realPublish(m);
  };
  const deps: WebhookDeps = {
    config: loadConfig(WEBHOOK_SETTINGS, {
      GOOGLE_CLOUD_PROJECT: project.projectId,
      GITHUB_WEBHOOK_SECRET: SECRET,
      GITHUB_WEBHOOK_SECRET_PREVIOUS: PREVIOUS,
      ALLOWED_REPOSITORIES: `${REPO}, other/repo`,
    }),
    store: createFirestoreStore(project.firestore),
    publish,
    log,
    deadlines: deadlines(600),
    now: () => new Date(),
    newRunId,
  };
  functions.http(
    'githubWebhookUnderTest',
    createGithubWebhook(() => deps, log),
  );
  server = await listen(getTestServer('githubWebhookUnderTest'));
});

afterAll(async () => {
  await server?.close();
  await inbox?.close();
  await project?.close();
});

beforeEach(() => {
  published = 0;
  failNextPublish = false;
});

async function send(
  payload: unknown,
  { event = 'release', delivery = randomUUID(), secret = SECRET, headers = {} as Record<string, string> } = {},
) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { ...signedHeaders(body, secret, event, delivery), ...headers },
    body,
  });
  const text = await res.text();
  // The Functions Framework answers malformed JSON itself, with an HTML page.
  const json = res.headers.get('content-type')?.startsWith('application/json');
  return { status: res.status, body: (json ? JSON.parse(text) : { html: text }) as Record<string, unknown> };
}

describe('githubWebhook', () => {
  it('queues a published release: 202 with the run id, and ModelReleased on model-released', async () => {
    const before = inbox.messages.length;
    const delivery = randomUUID();
    const payload = publishedRelease();
    const id = (payload.release.assets[0] as { id: number }).id;
    const res = await send(payload, { delivery });
    expect(res.status).toBe(202);
    expect(res.body.runId).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);

    await inbox.waitFor(before + 1);
    const message = ModelReleased.parse(inbox.json(before));
    expect(message).toMatchObject({
      type: 'ModelReleased',
      version: 1,
      runId: res.body.runId,
      repository: REPO,
      release: { id: 17372790, tag: '0.0.1', prerelease: false },
      asset: { id, name: 'saved_model.tar.gz', url: `https://api.github.com/repos/${REPO}/releases/assets/${id}` },
      deliveryId: delivery,
    });
    expect(inbox.messages[before]?.attributes).toMatchObject({ type: 'ModelReleased', runId: res.body.runId });

    const run = await createFirestoreStore(project.firestore).getRun(String(res.body.runId));
    expect(run).toMatchObject({
      status: 'running',
      repository: REPO,
      tag: '0.0.1',
      stages: { webhook: { status: 'succeeded' } },
    });
  });

  it('answers ping with 200', async () => {
    const res = await send(githubExample('ping'), { event: 'ping' });
    expect(res).toEqual({ status: 200, body: { pong: true } });
  });

  it('accepts the previous secret during a rotation', async () => {
    const res = await send(publishedRelease(), { secret: PREVIOUS });
    expect(res.status).toBe(202);
  });

  it('runs a release once under any number of delivery ids, and again only after its run failed', async () => {
    const payload = publishedRelease();
    const first = await send(payload);
    const again = await send(payload);
    expect(first.status).toBe(202);
    expect(again).toMatchObject({
      status: 200,
      body: {
        duplicate: true,
        runId: first.body.runId,
        reason: expect.stringMatching(/^release 0\.0\.1 of Codertocat\/Hello-World with this asset was already run/),
      },
    });
    expect(published).toBe(1);
    // A new asset is a new release to run; so is the same one once its run has failed.
    expect((await send(publishedRelease())).status).toBe(202);
    const store = createFirestoreStore(project.firestore);
    await store.finishRun(String(first.body.runId), { status: 'failed', stage: 'bake', reason: 'broken' });
    const rerun = await send(payload);
    expect(rerun.status).toBe(202);
    expect(rerun.body.runId).not.toBe(first.body.runId);
    expect(published).toBe(3);
  });

  it('publishes once for a delivery seen before, and says it is a duplicate', async () => {
    const delivery = randomUUID();
    const payload = publishedRelease();
    const first = await send(payload, { delivery });
    const second = await send(payload, { delivery });
    expect(first.status).toBe(202);
    expect(second).toEqual({ status: 200, body: { duplicate: true, runId: first.body.runId } });
    expect(published).toBe(1);
  });

  it('publishes exactly one message for a burst of the same delivery sent concurrently', async () => {
    const before = inbox.messages.length;
    const delivery = randomUUID();
    const payload = publishedRelease();
    const results = await Promise.all(Array.from({ length: 12 }, () => send(payload, { delivery })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(11);
    expect(new Set(results.map((r) => r.body.runId)).size).toBe(1);
    expect(published).toBe(1);
    const arrived = await inbox.drain(project.pubsub.topic(TOPICS.modelReleased));
    expect(arrived.slice(before).filter((m) => m.attributes.runId === results[0]?.body.runId)).toHaveLength(1);
  });

  it('answers 503 when Pub/Sub fails, and a redelivery publishes under the same run id', async () => {
    const delivery = randomUUID();
    failNextPublish = true;
    const payload = publishedRelease();
    const failed = await send(payload, { delivery });
    expect(failed.status).toBe(503);
    expect(published).toBe(0);
    const retried = await send(payload, { delivery });
    expect(retried).toEqual({ status: 202, body: { runId: failed.body.runId } });
    expect(published).toBe(1);
  });

  describe('rejects bad input, publishing nothing', () => {
    const big = { ...publishedRelease(), padding: 'x'.repeat(1024 * 1024) };
    const otherRepo = publishedRelease();
    otherRepo.repository.full_name = 'someone/else';
    const noAsset = publishedRelease('weights.zip');
    const foreignAsset = publishedRelease();
    foreignAsset.release.assets = [releaseAsset('attacker/repo', '0.0.1', 'saved_model.tar.gz')];
    const pre = publishedRelease();
    pre.release.prerelease = true;
    const draft = publishedRelease();
    draft.release.draft = true;

    const cases: Array<{
      name: string;
      payload: unknown;
      opts?: Parameters<typeof send>[1];
      status: number;
      says: RegExp;
    }> = [
      {
        name: 'a wrong signature',
        payload: publishedRelease(),
        opts: { secret: 'not-the-secret-at-all' },
        status: 401,
        says: /does not match/,
      },
      {
        name: 'no signature',
        payload: publishedRelease(),
        opts: { headers: { 'x-hub-signature-256': '' } },
        status: 401,
        says: /missing/,
      },
      { name: 'a body over 1 MiB', payload: big, status: 413, says: /exceeds/ },
      {
        name: 'a form-encoded body (the other content type GitHub offers)',
        payload: 'payload=%7B%7D',
        opts: { headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        status: 400,
        says: /not JSON.*application\/json/,
      },
      { name: 'malformed JSON', payload: '{"action": "published",', status: 400, says: /SyntaxError|Bad Request/ },
      {
        name: 'a release event that is not a release payload',
        payload: { action: 'published' },
        status: 400,
        says: /not a GitHub release event/,
      },
      {
        name: 'a repository that is not allowed',
        payload: otherRepo,
        status: 403,
        says: /someone\/else is not allowed/,
      },
      {
        name: 'a release without the model asset',
        payload: noAsset,
        status: 422,
        says: /no asset matching 'saved_model.tar.gz'/,
      },
      {
        name: 'an asset of another repository',
        payload: foreignAsset,
        status: 422,
        says: /does not point at a release asset/,
      },
      {
        name: 'another event',
        payload: githubExample('push'),
        opts: { event: 'push' },
        status: 202,
        says: /not a release/,
      },
      {
        name: 'another release action',
        payload: githubExample('release', 'created'),
        status: 202,
        says: /'created' is not published/,
      },
      { name: 'a prerelease', payload: pre, status: 202, says: /prerelease/ },
      { name: 'a draft', payload: draft, status: 202, says: /draft/ },
    ];

    it.each(cases)('$name → $status', async ({ payload, opts, status, says }) => {
      const res = await send(payload, opts);
      expect(res.status).toBe(status);
      expect(JSON.stringify(res.body)).toMatch(says);
      expect(published).toBe(0);
    });

    it('lists the assets a release has when none matches', async () => {
      const res = await send(publishedRelease('weights.zip'));
      expect(res.body.assets).toEqual(['weights.zip']);
    });

    it('refuses other methods than POST', async () => {
      const res = await fetch(server.url, { method: 'GET' });
      expect(res.status).toBe(405);
    });

    it('never logs the secret or the payload', () => {
      const text = JSON.stringify(log.lines);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('Codertocat/Hello-World/releases/17372790');
    });
  });
});
