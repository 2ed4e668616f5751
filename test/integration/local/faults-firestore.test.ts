import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, inject, it, vi } from 'vitest';
import { startFirestoreEmulator } from '../../../local/emulators/google-sdk.js';
import { TOPICS } from '../../../shared/topics.js';
import { subscribe } from '../../support/emulators.js';
import { leftRunning, servingHistory, withStack } from '../../support/faults.js';
import { release } from '../../support/local-release.js';

/**
 * Fault injection on the whole local stack (issue 13): Firestore stops answering mid-run. The stack gets a Firestore
 * emulator of its own, so that stopping it (SIGSTOP, by PID) touches no other test file running beside this one.
 */

vi.setConfig({ testTimeout: 300_000 });

/** How long Firestore stays stopped: the fault itself, not a wait for something to happen. */
const PAUSE_S = 25;

describe('Firestore paused mid-run', () => {
  it('Firestore stopped as the build finishes: every step waits or is redelivered, and the run succeeds once it answers', async () => {
    const firestore = await startFirestoreEmulator();
    const { stack: up, onStack } = withStack();
    // Watching the build's notifications, from before the release is sent.
    const builds = up.then((s) => subscribe(s.pubsub, TOPICS.cloudBuilds));
    const releasing = release({
      onStack,
      emulatorHosts: { pubsub: inject('pubsubHost'), firestore: firestore.host },
      beforeDelivery: async () => void (await builds),
      timeoutMs: 300_000,
    });
    const stack = await up;
    const resume = () => process.kill(firestore.pid, 'SIGCONT');
    try {
      // The build's final notification is on its way to onBuildFinished, which must read and write the run.
      await (await builds).first((b) => (b as { status?: string }).status === 'SUCCESS', 180_000);
      process.kill(firestore.pid, 'SIGSTOP');
      await delay(PAUSE_S * 1000);
      resume();
      const t0 = Date.now();
      const { code, run, out } = await releasing;
      expect(code, out).toBe(0);
      expect(run?.status).toBe('succeeded');
      const recoveredS = (Date.now() - t0) / 1000;
      console.info(`Firestore paused ${PAUSE_S} s: run succeeded ${recoveredS.toFixed(1)} s after it answered again`);
      // Far inside the deadline in force (the build's, then deployScenario's 540 s + 30 s): release() gives up at 300 s.
      expect(recoveredS).toBeLessThan(300);
      expect(await leftRunning(stack)).toEqual([]);
      expect(await servingHistory(stack)).toEqual({ image: run?.stages.deploy?.details?.image, generation: 1 });
      expect(stack.iam.denials).toEqual([]);
    } finally {
      resume();
      await releasing.catch(() => undefined);
      await stack.stop();
      await firestore.stop();
    }
  });
});
