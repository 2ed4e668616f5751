import { describe, expect, it } from 'vitest';
import { ModelshipError } from '../../../shared/errors.js';
import { PeerTaskFailed, START_LEAD_MS, taskPeers, type TaskObjects } from '../../../loadtest/task-peers.js';
import { memoryObjects } from './memory-objects.js';
import type { TaskResult } from '../../../loadtest/task-result.js';
import { virtualClock } from './virtual-clock.js';

const PREFIX = 'runs/r1/scenario';
const peersOf = (objects: TaskObjects, count: number, clock = virtualClock(1000)) =>
  Array.from({ length: count }, (_, index) => taskPeers({ objects, prefix: PREFIX, task: { index, count }, clock }));

describe('the tasks’ barrier', () => {
  it('gives every task the same start: the last readiness plus the lead', async () => {
    const objects = memoryObjects();
    const peers = peersOf(objects, 3);
    const starts = await Promise.all(peers.map((p, i) => p.startAt([1000, 1500, 1200][i]!, 120_000)));
    expect(starts).toEqual([1500 + START_LEAD_MS, 1500 + START_LEAD_MS, 1500 + START_LEAD_MS]);
    expect(JSON.parse(objects.objects.get(`${PREFIX}/tasks/1/ready.json`)!)).toEqual({ readyAt: 1500 });
  });

  it('fails past --connect-timeout naming the tasks never ready: the lead as its own failure, the others as a peer’s', async () => {
    const objects = memoryObjects();
    const clock = virtualClock(1000);
    const [lead, , last] = peersOf(objects, 3, clock);
    const [leadErr, lastErr] = await Promise.all([
      lead!.startAt(1000, 5000).catch((e: unknown) => e),
      last!.startAt(1000, 5000).catch((e: unknown) => e),
    ]);
    expect(leadErr).toBeInstanceOf(ModelshipError);
    expect(leadErr).not.toBeInstanceOf(PeerTaskFailed);
    expect((leadErr as Error).message).toMatch(
      /^task 0 of 3: tasks 1 never became ready within 5s \(--connect-timeout\)/,
    );
    expect(lastErr).toBeInstanceOf(PeerTaskFailed);
    expect(clock.now()).toBe(6000);
  });

  it('stops waiting when another task failed, with that task’s reason', async () => {
    const objects = memoryObjects();
    const [lead, second] = peersOf(objects, 2);
    await second!.putFailed('task 1 of 2: the target answered UNAVAILABLE');
    await expect(lead!.startAt(1000, 60_000)).rejects.toThrow(
      new PeerTaskFailed(
        'task 0 of 2: task 1 failed, so this test has no whole result: task 1 of 2: the target answered UNAVAILABLE',
      ),
    );
  });
});

describe('the lead’s wait for the results', () => {
  const result = (index: number) => ({ task: { index, count: 3 }, windows: [] }) as unknown as TaskResult;

  it('returns every result in task order', async () => {
    const objects = memoryObjects();
    const peers = peersOf(objects, 3);
    await Promise.all([2, 0, 1].map((i) => peers[i]!.putResult(result(i))));
    const results = await peers[0]!.results(60_000);
    expect(results.map((r) => r.task.index)).toEqual([0, 1, 2]);
  });

  it('ends at its deadline naming the tasks that never reported', async () => {
    const objects = memoryObjects();
    const clock = virtualClock(1000);
    const peers = peersOf(objects, 3, clock);
    await peers[0]!.putResult(result(0));
    await peers[1]!.putResult(result(1));
    await expect(peers[0]!.results(9000)).rejects.toThrow(/^task 0 of 3: tasks 2 reported no result by /);
    expect(clock.now()).toBe(9000);
  });

  it('fails with the first failed task’s reason, even when the others reported', async () => {
    const objects = memoryObjects();
    const peers = peersOf(objects, 3);
    await peers[0]!.putResult(result(0));
    await peers[1]!.putFailed('task 1 of 3: out of memory');
    await peers[2]!.putResult(result(2));
    await expect(peers[0]!.results(60_000)).rejects.toBeInstanceOf(PeerTaskFailed);
  });
});
