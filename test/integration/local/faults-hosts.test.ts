import { describe, expect, it, vi } from 'vitest';
import { isOver } from '../../../operator/follow-run.js';
import type { RunRecord } from '../../../shared/store.js';
import { TOPICS, type TopicName } from '../../../shared/topics.js';
import { FUNCTIONS, type EntryPoint } from '../../../shared/wiring.js';
import { subscribe } from '../../support/emulators.js';
import { leftRunning, runWhere, servingHistory, withStack } from '../../support/faults.js';
import { release } from '../../support/local-release.js';

/**
 * Fault injection on the whole local stack (issue 13): the host of each function killed (SIGKILL) as its stage comes,
 * in one release, and started again at once. The webhook's host is down when GitHub delivers, and the delivery is
 * sent again as GitHub's "Redeliver" does; every other function's host is killed as its message is published, so
 * that it dies as the message is delivered or handled, and Pub/Sub redelivers the message to the new host. Where the
 * kill lands is the race a real crash runs: before the function's claim, the redelivery goes on at once; after it,
 * the redelivery waits for the claim's lease (the function's timeout), which is still within the stage's deadline.
 * The host stays down no longer than its restart: the Pub/Sub emulator backs a push subscription off for minutes
 * once its endpoint has refused for some seconds.
 */

// A kill that lands after the function claimed its work waits for the claim's lease (up to 120 s) before the
// redelivery takes over.
vi.setConfig({ testTimeout: 540_000 });

interface Outage {
  /** The function whose host is down. */
  name: EntryPoint;
  /** The topic of its message, and which message it waits for. */
  topic: TopicName;
  arrived?: (body: unknown) => boolean;
  /** What the run shows once the function has handled it. */
  handled: (run: RunRecord) => boolean;
}

const OUTAGES: Outage[] = [
  { name: 'bakeModel', topic: TOPICS.modelReleased, handled: (r) => Boolean(r.stages.bake) },
  {
    name: 'onBuildFinished',
    topic: TOPICS.cloudBuilds,
    arrived: (b) => (b as { status?: string }).status === 'SUCCESS',
    handled: (r) => r.stages.bake?.status === 'succeeded',
  },
  {
    name: 'launchLoadTest',
    topic: TOPICS.loadTestRequested,
    handled: (r) => Object.values(r.scenarios ?? {}).some((s) => s.execution),
  },
  { name: 'reportResults', topic: TOPICS.loadTestFinished, handled: isOver },
];

describe('the functions host killed at each stage', () => {
  it('each function killed as its message comes, restarted at once: the run resumes under its run id and succeeds', async () => {
    const { stack: up, onStack } = withStack();
    // Watching every outage's topic, from before the release is sent.
    const inboxes = up.then((s) => Promise.all(OUTAGES.map((o) => subscribe(s.pubsub, o.topic))));
    const webhookDown: number[] = [];
    const releasing = release({
      onStack,
      // The first delivery meets a dead webhook; GitHub's "Redeliver" sends it again once the host is back.
      deliveries: 2,
      beforeDelivery: async (attempt) => {
        const stack = await up;
        await inboxes;
        if (attempt === 0) await stack.functions.kill('githubWebhook');
        else await stack.functions.restart('githubWebhook');
        webhookDown.push(Date.now());
      },
      timeoutMs: 480_000,
    });
    const stack = await up;
    try {
      const recovered: Record<string, number> = {};
      const boxes = await inboxes;
      for (const [i, outage] of OUTAGES.entries()) {
        // Its message is out: the host dies as it is delivered, and is started again at once.
        await boxes[i]!.first(outage.arrived ?? (() => true), 180_000);
        const t0 = Date.now();
        await stack.functions.kill(outage.name);
        await stack.functions.restart(outage.name);
        await runWhere(stack, outage.handled);
        recovered[outage.name] = (Date.now() - t0) / 1000;
      }
      const { code, run, out } = await releasing;
      expect(code, out).toBe(0);
      expect(out).toMatch(/HTTP 502 .*function githubWebhook did not answer/);
      expect(out).toMatch(/HTTP 202 \{"runId":/);
      expect(run?.status).toBe('succeeded');
      // One run: the redelivered webhook's, resumed by every redelivered message.
      const runs = await stack.firestore.collection('runs').get();
      expect(runs.docs.map((d) => d.id)).toEqual([run?.runId]);
      console.info(
        `functions killed: webhook redelivered ${((webhookDown[1]! - webhookDown[0]!) / 1000).toFixed(1)} s after ` +
          `the kill; ${Object.entries(recovered)
            .map(([name, s]) => `${name} handled its message ${s.toFixed(1)} s after it came`)
            .join('; ')}`,
      );
      // Each stage went on well inside its deadline (the function's timeout plus the 30 s grace): a message that met
      // a dead host comes back within Pub/Sub's backoff (≤ 10 s here) of the host's restart.
      for (const [name, s] of Object.entries(recovered)) {
        expect(s, name).toBeLessThan(FUNCTIONS[name as EntryPoint].timeoutS + 30);
      }
      expect(await leftRunning(stack)).toEqual([]);
      expect(await servingHistory(stack)).toEqual({ image: run?.stages.deploy?.details?.image, generation: 1 });
      expect(stack.iam.denials).toEqual([]);
    } finally {
      await releasing.catch(() => undefined);
      await stack.stop();
    }
  });
});
