import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelshipError } from '../../../shared/errors.js';
import { createPublisher } from '../../../shared/gcp/publisher.js';
import { DeployRequested } from '../../../shared/messages.js';
import { redeploy } from '../../../operator/redeploy.js';
import { createFirestoreStore, type Store } from '../../../shared/store.js';
import { TOPICS } from '../../../shared/topics.js';
import { subscribe, testProject, type Inbox, type TestProject } from '../../support/emulators.js';

let project: TestProject;
let store: Store;
let inbox: Inbox;
const digest = `europe-docker.pkg.dev/p/models/resnet@sha256:${'c'.repeat(64)}`;

beforeAll(async () => {
  project = await testProject();
  store = createFirestoreStore(project.firestore);
  inbox = await subscribe(project.pubsub, TOPICS.deployRequested);
});
afterAll(async () => {
  await inbox?.close();
  await project?.close();
});

describe('modelship redeploy', () => {
  it('refuses before publishing anything: an unknown scenario, an image not by digest, no image to reuse', async () => {
    const deps = () => ({ store, publish: createPublisher(project.pubsub) });
    await expect(
      redeploy({ scenarios: ['no-such-scenario'], namespace: 'default', image: digest }, deps()),
    ).rejects.toThrow(/no-such-scenario.*2n-8c-16r-interop4/s);
    await expect(
      redeploy({ scenarios: ['2n-8c-16r-interop4'], namespace: 'default', image: 'resnet:latest' }, deps()),
    ).rejects.toThrow(/not an image by digest/);
    await expect(redeploy({ scenarios: ['2n-8c-16r-interop4'], namespace: 'default' }, deps())).rejects.toBeInstanceOf(
      ModelshipError,
    );
    const arrived = await inbox.drain(project.pubsub.topic(TOPICS.deployRequested));
    expect(arrived).toHaveLength(0);
  });

  it('publishes DeployRequested with the last good image when none is given, and opens a run', async () => {
    await store.recordGoodDeployment('prod', {
      scenario: '2n-8c-16r-interop2',
      image: digest,
      runId: 'r-old',
      manifestsJson: '[]',
      at: new Date().toISOString(),
    });
    const before = inbox.messages.length;
    const message = await redeploy(
      { scenarios: ['4n-4c-8r-interop4'], namespace: 'prod' },
      { store, publish: createPublisher(project.pubsub) },
    );
    await inbox.waitFor(before + 1);
    const received = DeployRequested.parse(JSON.parse(String(inbox.messages[before]?.data)));
    expect(received).toEqual(message);
    expect(received).toMatchObject({ scenario: '4n-4c-8r-interop4', image: digest, requestedBy: 'redeploy' });
    expect(await store.getRun(message.runId)).toMatchObject({ status: 'running' });
  });
});
