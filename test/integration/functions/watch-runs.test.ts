import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadlines } from '../../../shared/deadline.js';
import type { ExecutionState } from '../../../shared/gcp/cloud-run.js';
import type { PipelineMessage } from '../../../shared/messages.js';
import { createFirestoreStore, type Store } from '../../../shared/store.js';
import { watchRuns, type WatchDeps } from '../../../shared/watch-runs.js';
import { createMemoryLogger } from '../../support/memory-logger.js';
import { testProject, type TestProject } from '../../support/emulators.js';

const T0 = Date.parse('2026-12-06T12:00:00Z');
let project: TestProject;
let store: Store;
beforeAll(async () => {
  project = await testProject();
  store = createFirestoreStore(project.firestore);
});
afterAll(() => project?.close());

/** The watcher at a given time, with executions as a test says and a recording publisher. */
function watcher(at: number, executions: Record<string, ExecutionState | Error> = {}, runs: Store = store) {
  const published: PipelineMessage[] = [];
  const log = createMemoryLogger();
  const now = () => new Date(at);
  const deps: WatchDeps = {
    store: runs,
    log,
    now,
    deadlines: deadlines(30, now),
    publish: async (m) => {
      published.push(m);
      return String(published.length);
    },
    executions: {
      get: async (name) => {
        const e = executions[name];
        if (e instanceof Error) throw e;
        return e;
      },
    },
  };
  return { published, log, tick: () => watchRuns({ type: 'WatchRuns', version: 1 }, deps) };
}

const iso = (ms: number) => new Date(ms).toISOString();

describe('watchRuns', () => {
  it('fails a run past its deadline through reportResults, then records it itself if no report comes', async () => {
    await store.createRun({
      runId: 'watch-overdue',
      deadline: { at: iso(T0), stage: 'bake', what: 'build b-1 to finish (its timeout is 1200 s)' },
    });
    await store.createRun({
      runId: 'watch-on-time',
      deadline: { at: iso(T0 + 3_600_000), stage: 'deploy', what: 'the rollout of 2n-8c-16r-interop4' },
    });
    const first = watcher(T0 + 1000);
    await first.tick();
    const reason = `build b-1 to finish (its timeout is 1200 s) did not happen by ${iso(T0)} (the bake stage's deadline)`;
    expect(first.published).toEqual([
      { type: 'PipelineFailed', version: 1, runId: 'watch-overdue', stage: 'bake', reason },
    ]);
    const waiting = await store.getRun('watch-overdue');
    expect(waiting).toMatchObject({
      status: 'running',
      stages: { bake: { status: 'failed', reason } },
      deadline: { stage: 'report', failure: { stage: 'bake', reason } },
    });
    expect((await store.getRun('watch-on-time'))?.status).toBe('running');

    // reportResults never recorded it (dead, or dead-lettered): past the report's own deadline, the watcher does.
    const later = watcher(Date.parse(waiting?.deadline?.at ?? '') + 1000);
    await later.tick();
    expect(later.published).toEqual([]);
    expect(await store.getRun('watch-overdue')).toMatchObject({ status: 'failed', failure: { stage: 'bake', reason } });
    expect((await store.getRun('watch-on-time'))?.status).toBe('running');
  });

  it("speaks for a load-test job that ended without reporting, once Cloud Run's execution says so", async () => {
    const exec = (n: string) => `projects/p/locations/l/jobs/j/executions/${n}`;
    const scenario = (execution: string) => ({ status: 'running' as const, execution });
    await store.createRun({
      runId: 'watch-jobs',
      scenarios: {
        killed: scenario(exec('killed')),
        silent: scenario(exec('silent')),
        reporting: scenario(exec('reporting')),
        running: scenario(exec('running')),
        unreadable: scenario(exec('unreadable')),
      },
      deadline: { at: iso(T0 + 3_600_000), stage: 'load-test', what: 'the load-test jobs to report' },
    });
    const { published, log, tick } = watcher(T0, {
      [exec('killed')]: {
        done: true,
        succeeded: false,
        message: 'Task j-1-task0 failed with message: The container exited with an error (killed by a signal).',
        completedAt: new Date(T0 - 40_000),
      },
      [exec('silent')]: { done: true, succeeded: true, message: 'ok', completedAt: new Date(T0 - 31_000) },
      // Ended a moment ago: its own LoadTestFinished may still be on its way.
      [exec('reporting')]: { done: true, succeeded: true, message: 'ok', completedAt: new Date(T0 - 5_000) },
      [exec('running')]: { done: false },
      [exec('unreadable')]: new Error('14 UNAVAILABLE'),
    });
    await tick();
    expect(published).toEqual([
      expect.objectContaining({
        type: 'PipelineFailed',
        stage: 'load-test',
        scenario: 'killed',
        reason: `the load-test job's execution ${exec('killed')} failed: Task j-1-task0 failed with message: The container exited with an error (killed by a signal).`,
      }),
      expect.objectContaining({
        scenario: 'silent',
        reason: `the load-test job's execution ${exec('silent')} completed 31 s ago without reporting a result`,
      }),
    ]);
    // One unreadable execution does not stop the watch of the others; it is logged and tried on the next tick.
    expect(
      log.lines.some((l) => l.message === 'execution not read; next tick' && String(l.error).includes('UNAVAILABLE')),
    ).toBe(true);
  });

  it('does not fail a step that moved the deadline on after the watcher read the run', async () => {
    await store.createRun({
      runId: 'watch-moved',
      deadline: { at: iso(T0), stage: 'load-test', what: 'launchLoadTest to start the load test of s' },
    });
    const moved = { at: iso(T0 + 600_000), stage: 'load-test' as const, what: 'the load-test job e-1 to report' };
    // The watcher has read the run overdue; launchLoadTest then starts the job and moves the deadline on.
    const racing: Store = {
      ...store,
      runningRuns: async (limit) => {
        const read = await store.runningRuns(limit);
        await store.startStage('watch-moved', 'load-test', { execution: 'e-1' }, moved);
        return read;
      },
    };
    const { published, log, tick } = watcher(T0 + 1000, {}, racing);
    await tick();
    expect(published.filter((m) => m.runId === 'watch-moved')).toEqual([]);
    expect(await store.getRun('watch-moved')).toMatchObject({
      status: 'running',
      deadline: moved,
      stages: { 'load-test': { status: 'running', details: { execution: 'e-1' } } },
    });
    expect(log.lines.some((l) => l.message === 'deadline moved on before it was enforced')).toBe(true);
  });

  it('leaves finished runs alone', async () => {
    await store.createRun({
      runId: 'watch-finished',
      deadline: { at: iso(T0 - 60_000), stage: 'deploy', what: 'anything' },
    });
    await store.finishRun('watch-finished', { status: 'succeeded' });
    const { published, tick } = watcher(T0);
    await tick();
    expect(published.filter((m) => m.runId === 'watch-finished')).toEqual([]);
    expect((await store.getRun('watch-finished'))?.status).toBe('succeeded');
  });
});
