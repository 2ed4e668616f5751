import { armFields, armOf } from './arm.js';
import type { Deadlines } from './deadline.js';
import type { Publish } from './gcp/publisher.js';
import type { PipelineStage } from './messages.js';
import type { Store } from './store.js';
import { FUNCTIONS } from './wiring.js';

export interface RunFailureReport {
  runId: string;
  stage: PipelineStage;
  reason: string;
  /** The candidate that failed, by its key (shared/arm.ts); absent: the run as a whole. */
  scenario?: string;
  detailsUrl?: string;
  /** Facts kept on the failed stage (the build id, its log). */
  details?: Record<string, unknown>;
  /**
   * The deadline (its time) this failure is about: reported only if the run still waits on it, so that a watcher's
   * stale read never fails a step that moved the deadline on meanwhile.
   */
  ifDeadlineAt?: string;
}

/**
 * A stage failed: it is recorded on the stage, and PipelineFailed tells reportResults, the one step that ends runs
 * (and writes the outcome on the release). Should the report never come, the run's deadline carries the failure,
 * and watchRuns records it when the deadline passes. Returns false, reporting nothing, when the run has ended or no
 * longer waits on `ifDeadlineAt`.
 */
export async function reportFailure(
  f: RunFailureReport,
  deps: { store: Store; publish: Publish; deadlines: Deadlines },
): Promise<boolean> {
  const { runId, stage, reason, scenario, detailsUrl, details, ifDeadlineAt } = f;
  const link = detailsUrl ? { detailsUrl } : {};
  const deadline = deps.deadlines.after(
    FUNCTIONS.reportResults.timeoutS,
    'report',
    `reportResults to record: ${reason}`,
    scenario,
  );
  const recorded = await deps.store.finishStage(runId, stage, {
    status: 'failed',
    reason,
    ...(details ? { details } : {}),
    deadline: { ...deadline, failure: { stage, reason, ...link, ...(scenario ? { scenario } : {}) } },
    ...(ifDeadlineAt ? { ifDeadlineAt } : {}),
  });
  if (!recorded && ifDeadlineAt) return false;
  await deps.publish({
    type: 'PipelineFailed',
    version: 1,
    runId,
    stage,
    reason,
    ...(scenario ? { scenario: armOf(scenario).scenario, ...armFields(armOf(scenario).arm) } : {}),
    ...link,
  });
  return true;
}
