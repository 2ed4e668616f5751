import type { PipelineStage } from './messages.js';
import type { Deadline } from './store.js';

/**
 * Deadlines of a run: what it waits for next and until when. Each step sets the next one as it hands over or
 * starts; watchRuns fails a run whose deadline has passed. A deadline is the awaited work's own bound (a function's
 * timeout, a build's, a job's) plus the grace Pub/Sub needs to redeliver after a crash (STAGE_GRACE_S).
 */
export interface Deadlines {
  /** The deadline `seconds` (the work's own bound) plus the grace from now. */
  after(seconds: number, stage: PipelineStage, what: string, scenario?: string): Deadline;
  graceS: number;
}

export function deadlines(graceS: number, now: () => Date = () => new Date()): Deadlines {
  return {
    graceS,
    after: (seconds, stage, what, scenario) => ({
      at: new Date(now().getTime() + (seconds + graceS) * 1000).toISOString(),
      stage,
      what,
      ...(scenario ? { scenario } : {}),
    }),
  };
}

/** The default grace (STAGE_GRACE_S), for deps built without configuration. */
export const DEFAULT_DEADLINES = deadlines(600);
