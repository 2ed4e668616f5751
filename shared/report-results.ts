import type { ReleaseNotes } from './github/releases.js';
import { failureSection, loadTestSection } from './github/release-notes.js';
import type { Logger } from './log.js';
import type { LoadTestFinished, PipelineFailed } from './messages.js';
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
 * The last step: completes the run record and writes the outcome on the GitHub release. Redelivered messages
 * rewrite the same release-notes section and the same record, so the step is idempotent without a key.
 */
export async function reportResults(message: LoadTestFinished | PipelineFailed, deps: ReportDeps): Promise<void> {
  const { store } = deps;
  const scenario = message.scenario;
  const log = deps.log.child({ runId: message.runId, ...(scenario ? { scenario } : {}) });
  const run = await store.getRun(message.runId);
  if (!run) log.warn('no run record for this message; creating it', { type: message.type });

  const startedAt = new Date().toISOString();
  await store.startStage(message.runId, 'report');
  if (message.type === 'LoadTestFinished') {
    const { summary } = message;
    await store.finishStage(message.runId, 'load-test', {
      status: summary.thresholdsPassed ? 'succeeded' : 'failed',
      details: { scenario: message.scenario, reportUrl: message.reportUrl, ...summary },
      ...(summary.thresholdsPassed ? {} : { reason: `thresholds failed: ${summary.failedThresholds.join(', ')}` }),
    });
    await store.finishRun(
      message.runId,
      summary.thresholdsPassed
        ? {
            status: 'succeeded',
            result: { scenario: message.scenario, image: message.image, reportUrl: message.reportUrl, ...summary },
          }
        : {
            status: 'failed',
            stage: 'load-test',
            reason: `thresholds failed: ${summary.failedThresholds.join(', ')}`,
            detailsUrl: message.reportUrl,
          },
    );
  } else {
    await store.finishRun(message.runId, {
      status: 'failed',
      stage: message.stage,
      reason: message.reason,
      ...(message.detailsUrl ? { detailsUrl: message.detailsUrl } : {}),
    });
  }

  let releaseUrl: string | undefined;
  if (run?.repository && run.tag && deps.notes) {
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
  await store.finishStage(message.runId, 'report', {
    status: 'succeeded',
    startedAt,
    details: releaseUrl ? { releaseUrl } : {},
  });
  log.info('run reported', { type: message.type, ...(releaseUrl ? { releaseUrl } : {}) });
}
