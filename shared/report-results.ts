import type { ReleaseNotes } from './github/releases.js';
import { failureSection, loadTestSection } from './github/release-notes.js';
import type { Logger } from './log.js';
import type { LoadTestFinished, PipelineFailed } from './messages.js';
import { runningRun } from './run-guard.js';
import type { Store } from './store.js';
import { loadScenario } from './deploy/scenario-loader.js';
import { scenarioVcpus } from './deploy/scenario.js';

/** The scenario's vCPU, for capacity per vCPU; undefined when its file is not here (a scenario since removed). */
async function vcpusOf(name: string): Promise<number | undefined> {
  return loadScenario(name).then(scenarioVcpus, () => undefined);
}

export interface ReportDeps {
  store: Store;
  /** Absent when no GitHub token is configured: the run record is still completed. */
  notes: ReleaseNotes | undefined;
  log: Logger;
}

/**
 * The last step, and the one that ends runs: ends the scenario (the run with its last scenario) and writes the
 * outcome on the GitHub release. A message for an unknown run is refused, one for a finished run ignored. A
 * redelivery before the run ended rewrites the same release-notes section and the same record.
 */
export async function reportResults(message: LoadTestFinished | PipelineFailed, deps: ReportDeps): Promise<void> {
  const { store } = deps;
  const scenario = message.scenario;
  const log = deps.log.child({ runId: message.runId, ...(scenario ? { scenario } : {}) });
  const run = await runningRun(store, message.runId, message.type, log);
  if (!run) return;

  const mine = scenario ? run.scenarios?.[scenario] : undefined;
  if (mine?.status === 'succeeded' || mine?.status === 'failed') {
    log.warn('message for a finished scenario ignored', { type: message.type, status: mine.status });
    return;
  }

  const startedAt = new Date().toISOString();
  await store.startStage(message.runId, 'report');
  // The release first: should writing it fail, the redelivery finds the run still open and writes both.
  let releaseUrl: string | undefined;
  if (run.repository && run.tag && deps.notes) {
    const markdown =
      message.type === 'LoadTestFinished'
        ? loadTestSection(message, await vcpusOf(message.scenario))
        : failureSection(message);
    ({ url: releaseUrl } = await deps.notes.upsert(
      run.repository,
      run.tag,
      `${message.runId}-${scenario ?? 'run'}`,
      markdown,
    ));
  } else {
    log.info('no release to write on', {
      reason: deps.notes ? 'run has no release (a redeploy)' : 'GITHUB_TOKEN not set',
    });
  }
  if (message.type === 'LoadTestFinished') {
    const { summary } = message;
    const passed = summary.thresholdsPassed;
    const reason = `thresholds failed: ${summary.failedThresholds.join(', ')}`;
    await store.finishStage(message.runId, 'load-test', {
      status: passed ? 'succeeded' : 'failed',
      details: { scenario: message.scenario, reportUrl: message.reportUrl, ...summary },
      ...(passed ? {} : { reason }),
    });
    await store.endScenario(
      message.runId,
      message.scenario,
      passed
        ? {
            status: 'succeeded',
            result: { scenario: message.scenario, image: message.image, reportUrl: message.reportUrl, ...summary },
          }
        : { status: 'failed', stage: 'load-test', reason, detailsUrl: message.reportUrl },
    );
  } else {
    const failure = {
      status: 'failed' as const,
      stage: message.stage,
      reason: message.reason,
      ...(message.detailsUrl ? { detailsUrl: message.detailsUrl } : {}),
    };
    // A scenario's failure ends that scenario (the run ends with the last one); any other ends the run.
    if (scenario && mine) await store.endScenario(message.runId, scenario, failure);
    else await store.finishRun(message.runId, failure);
  }
  if (scenario && mine?.lock) await store.releaseLock(mine.lock, message.runId, scenario);

  await store.finishStage(message.runId, 'report', {
    status: 'succeeded',
    startedAt,
    details: releaseUrl ? { releaseUrl } : {},
  });
  log.info('run reported', { type: message.type, ...(releaseUrl ? { releaseUrl } : {}) });
}
