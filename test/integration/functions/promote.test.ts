import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSED_FIGURES } from '../../support/figures.js';
import { createPublisher } from '../../../shared/gcp/publisher.js';
import { PromoteRequested } from '../../../shared/messages.js';
import { promote } from '../../../operator/promote.js';
import { createFirestoreStore, type ScenarioRecord, type Store } from '../../../shared/store.js';
import { TOPICS } from '../../../shared/topics.js';
import { subscribe, testProject, type Inbox, type TestProject } from '../../support/emulators.js';

let project: TestProject;
let store: Store;
let inbox: Inbox;
const image = `europe-docker.pkg.dev/p/models/resnet@sha256:${'d'.repeat(64)}`;
const measured = (passed: boolean): ScenarioRecord => ({
  status: 'succeeded',
  image,
  figures: PASSED_FIGURES,
  verdict: { passed, reasons: [], deltas: null },
});

beforeAll(async () => {
  project = await testProject();
  store = createFirestoreStore(project.firestore);
  inbox = await subscribe(project.pubsub, TOPICS.promoteRequested);
});
afterAll(async () => {
  await inbox?.close();
  await project?.close();
});

describe('modelship promote', () => {
  const deps = () => ({ store, publish: createPublisher(project.pubsub) });

  it('refuses before publishing anything: an unknown run, a running one, an unmeasured or ambiguous candidate', async () => {
    await expect(promote({ runId: 'promote-none' }, deps())).rejects.toThrow(/run promote-none not found/);
    await store.createRun({ runId: 'promote-running', scenarios: { a: measured(true) } });
    await expect(promote({ runId: 'promote-running' }, deps())).rejects.toThrow(/still measuring its candidates/);
    await store.createRun({
      runId: 'promote-two',
      scenarios: { a: measured(true), b: measured(true), c: { status: 'failed', image } },
    });
    await store.finishRun('promote-two', { status: 'succeeded' });
    await expect(promote({ runId: 'promote-two' }, deps())).rejects.toThrow(
      /2 candidates that passed the gate \(a, b\): say which/,
    );
    await expect(promote({ runId: 'promote-two', scenario: 'c' }, deps())).rejects.toThrow(
      /has no measured candidate c/,
    );
    expect(await inbox.drain(project.pubsub.topic(TOPICS.promoteRequested))).toHaveLength(0);
  });

  it('publishes PromoteRequested for the one candidate that passed, or the one named even if the gate refused it', async () => {
    await store.createRun({ runId: 'promote-one', scenarios: { a: measured(true), b: measured(false) } });
    await store.finishRun('promote-one', { status: 'succeeded' });
    const before = inbox.messages.length;
    const chosen = await promote({ runId: 'promote-one' }, deps());
    const forced = await promote({ runId: 'promote-one', scenario: 'b' }, deps());
    await inbox.waitFor(before + 2);
    const received = inbox.messages.slice(before).map((m) => PromoteRequested.parse(JSON.parse(String(m.data))));
    // Pub/Sub delivers messages without an ordering key in any order.
    const byScenario = (a: PromoteRequested, b: PromoteRequested) =>
      String(a.scenario).localeCompare(String(b.scenario));
    expect(received.sort(byScenario)).toEqual([chosen, forced].sort(byScenario));
    expect(chosen).toMatchObject({ scenario: 'a', image, requestedBy: 'operator' });
    expect(forced.reason).toMatch(/the gate refused it; promoted by hand/);
  });
});
