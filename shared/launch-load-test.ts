import { errorMessage } from './errors.js';
import type { JobRunner } from './gcp/cloud-run.js';
import type { Logger } from './log.js';
import type { LoadTestRequested } from './messages.js';
import { runOnce } from './idempotency.js';
import type { Store } from './store.js';

export interface LaunchDeps {
  store: Store;
  jobs: JobRunner;
  log: Logger;
}

/** Room the job gets beyond the test's own duration: start-up, the pre-flight Predict, writing the reports. */
export const JOB_MARGIN_S = 300;

/** The `modelship loadtest` command line of a load test request: the Cloud Run job's container args. */
export function loadTestArgs(m: LoadTestRequested): string[] {
  const p = m.profile;
  const args = [
    '--target',
    m.target,
    '--model',
    m.modelName,
    '--scenario',
    m.scenario,
    '--duration',
    `${p.durationS}s`,
  ];
  if (p.rate !== undefined) args.push('--rate', String(p.rate));
  else {
    args.push('--users', String(p.users ?? 1), '--spawn-rate', String(p.spawnRate ?? 1));
    args.push('--think-time', `${p.thinkTimeMs ?? 0}ms`);
  }
  for (const t of p.thresholds) args.push('--threshold', t);
  return [...args, '--progress', 'log'];
}

/**
 * `load-test-requested` → one Cloud Run job execution per run and scenario. The execution is claimed first, so a
 * redelivered request launches nothing new; a launch that failed is retried by the redelivery Pub/Sub makes.
 */
export async function launchLoadTest(m: LoadTestRequested, deps: LaunchDeps): Promise<void> {
  const log = deps.log.child({ runId: m.runId, scenario: m.scenario });
  const stage = { scenario: m.scenario, target: m.target };
  try {
    const outcome = await runOnce(deps.store, `load-test/${m.runId}/${m.scenario}`, {}, async () => {
      await deps.store.startStage(m.runId, 'load-test', stage);
      const { execution } = await deps.jobs.run({
        args: loadTestArgs(m),
        env: { MODELSHIP_RUN_ID: m.runId, MODELSHIP_SERVING_IMAGE: m.image },
        timeoutS: m.profile.durationS + JOB_MARGIN_S,
      });
      await deps.store.startStage(m.runId, 'load-test', { ...stage, execution });
      return { execution };
    });
    if (outcome.duplicate) log.info('duplicate load test request ignored', { execution: outcome.record.execution });
    else log.info('load test launched', { execution: outcome.result.execution });
  } catch (err) {
    log.error('load test not launched; will be retried', { error: errorMessage(err) });
    throw err;
  }
}
