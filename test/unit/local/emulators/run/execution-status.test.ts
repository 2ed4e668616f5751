import { describe, expect, it } from 'vitest';
import { executionStatus, taskFailure, type TaskState } from '../../../../../local/emulators/run/execution-status.js';

describe('executionStatus', () => {
  it('names the task that failed first, whatever its index, with its signal', () => {
    // Task 1 was killed (at 1), task 0 gave up waiting for it later (at 2).
    const killed = { ...taskFailure.exit({ code: null, signal: 'SIGKILL' }), at: 1 };
    const gaveUp = { ...taskFailure.exit({ code: 1, signal: null }), at: 2 };
    const tasks = [gaveUp, killed, { state: 'succeeded' }] as TaskState[];
    const { done, fields } = executionStatus('job-abc123', tasks);
    expect(done).toBe(true);
    expect(fields).toMatchObject({ failedCount: 2, succeededCount: 1 });
    expect((fields.conditions as Array<{ message: string; state: string }>)[0]).toMatchObject({
      state: 'CONDITION_FAILED',
      message:
        'Task job-abc123-task1 failed with message: The container exited with an error (killed by signal SIGKILL).',
    });
  });

  it('is pending while a task runs, whatever has failed', () => {
    const { done, fields } = executionStatus('job-abc123', [taskFailure.timeout(), { state: 'running' }]);
    expect(done).toBe(false);
    expect(fields).toMatchObject({ runningCount: 1, failedCount: 1 });
  });
});
