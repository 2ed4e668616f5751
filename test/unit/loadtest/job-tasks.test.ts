import { describe, expect, it } from 'vitest';
import { ConfigError, ModelshipError } from '../../../shared/errors.js';
import { runLoadTestJob, type JobDeps } from '../../../loadtest/job.js';
import type { Summary } from '../../../loadtest/summary.js';
import { PeerTaskFailed } from '../../../loadtest/task-peers.js';
import { echoRequest, echoServers } from './support.js';
import { memoryObjects } from './memory-objects.js';

const echoServer = echoServers();
const PREFIX = 'runs/r1/s';
const env = (index: number, count: number) => ({
  CLOUD_RUN_TASK_INDEX: String(index),
  CLOUD_RUN_TASK_COUNT: String(count),
});

/** 40 requests in 1 s against the server, on the main thread. */
const argsFor = (server: { grpcPort: number }) => ({
  target: `127.0.0.1:${server.grpcPort}`,
  rate: '40',
  duration: '1s',
  workers: '0',
  progress: 'off',
});

describe('runLoadTestJob as one of several Cloud Run tasks', () => {
  it('runs each task’s share; only the lead sinks the merged summary', async () => {
    const values = argsFor(await echoServer({ latencyMs: 1 }));
    const taskObjects = { objects: memoryObjects(), prefix: PREFIX };
    const sunk: Summary[] = [];
    const deps: JobDeps = { prepare: echoRequest, taskObjects, reportSink: async (s) => void sunk.push(s) };
    const codes = await Promise.all([0, 1].map((i) => runLoadTestJob(values, env(i, 2), deps)));
    expect(codes).toEqual([0, 0]);
    expect(sunk).toHaveLength(1);
    expect(sunk[0]?.requests.total).toBe(40);
    expect([...taskObjects.objects.objects.keys()].sort()).toEqual([
      `${PREFIX}/tasks/0/ready.json`,
      `${PREFIX}/tasks/0/result.json`,
      `${PREFIX}/tasks/1/ready.json`,
      `${PREFIX}/tasks/1/result.json`,
    ]);
  });

  it('a task that cannot run says so with its index and writes failed.json; the lead fails without a result', async () => {
    const values = argsFor(await echoServer({ latencyMs: 1 }));
    const objects = memoryObjects();
    const sunk: Summary[] = [];
    const deps = (index: number): JobDeps => ({
      prepare: index === 1 ? () => Promise.reject(new ModelshipError('the target never answered')) : echoRequest,
      taskObjects: { objects, prefix: PREFIX },
      reportSink: async (s) => void sunk.push(s),
    });
    const [lead, second] = await Promise.all(
      [0, 1].map((i) => runLoadTestJob(values, env(i, 2), deps(i)).catch((e: unknown) => e)),
    );
    expect(second).toBeInstanceOf(ModelshipError);
    expect(second).not.toBeInstanceOf(PeerTaskFailed);
    expect((second as Error).message).toBe('task 1 of 2: the target never answered');
    expect(JSON.parse(objects.objects.get(`${PREFIX}/tasks/1/failed.json`)!)).toEqual({
      reason: 'task 1 of 2: the target never answered',
    });
    expect(lead).toBeInstanceOf(PeerTaskFailed);
    expect((lead as Error).message).toMatch(/^task 0 of 2: task 1 failed, so this test has no whole result/);
    expect(objects.objects.has(`${PREFIX}/tasks/0/failed.json`)).toBe(false);
    expect(sunk).toEqual([]);
  });

  it('refuses a task of several outside the pipeline, and a capacity search split into tasks', async () => {
    const values = argsFor({ grpcPort: 1 });
    await expect(runLoadTestJob(values, env(0, 2))).rejects.toBeInstanceOf(ConfigError);
    const capacity = { ...values, 'find-capacity': true, 'p99-bound': '100ms' };
    await expect(
      runLoadTestJob(capacity, env(0, 2), { taskObjects: { objects: memoryObjects(), prefix: PREFIX } }),
    ).rejects.toThrow(/a capacity search runs as one task/);
    await expect(runLoadTestJob(values, env(2, 2))).rejects.toThrow(/expected 0 <= index < count/);
  });
});
