import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { loadConfig } from '../shared/config.js';
import { errorMessage } from '../shared/errors.js';
import { createPublisher } from '../shared/gcp/publisher.js';
import { createLogger } from '../shared/log.js';
import { createReportStore } from '../shared/report-store.js';
import { createFirestoreStore } from '../shared/store.js';
import type { Publish } from '../shared/gcp/publisher.js';
import type { Logger } from '../shared/log.js';
import { ARMS, type Arm, type LoadTestSummary } from '../shared/messages.js';
import { armFields, armKey } from '../shared/arm.js';
import type { ReportStore } from '../shared/report-store.js';
import type { Store } from '../shared/store.js';
import type { ReportSink } from './job.js';
import type { Summary } from './summary.js';

/** The run a pipeline load test belongs to: set by launchLoadTest in the job's environment. */
export interface PipelineRun {
  runId: string;
  scenario: string;
  /** Absent: the release's own image; `baseline`: the serving image measured beside it (MODELSHIP_ARM). */
  arm?: Arm;
  image: string;
}

export interface PipelineSinkDeps {
  store: Store;
  publish: Publish;
  reports: ReportStore;
  log: Logger;
}

/** The few figures that travel in LoadTestFinished; the whole summary stays with the run and the report. */
export function messageSummary(summary: Summary): LoadTestSummary {
  const ms = (v: number | null) => v ?? 0;
  return {
    requests: summary.requests.total,
    failures: summary.requests.failed,
    rps: summary.requests.rps,
    p50Ms: ms(summary.latencyMs.p50),
    p95Ms: ms(summary.latencyMs.p95),
    p99Ms: ms(summary.latencyMs.p99),
    thresholdsPassed: summary.passed,
    failedThresholds: [
      ...summary.thresholds.filter((t) => !t.ok).map((t) => t.expression),
      ...(summary.stopped ? [`stopped: ${summary.stopped}`] : []),
      ...(summary.capacity && summary.capacity.limit !== 'server' ? [`capacity: ${summary.capacity.verdict}`] : []),
    ],
    ...(summary.capacity
      ? {
          capacity: {
            rps: summary.capacity.rps,
            p99BoundMs: summary.capacity.p99BoundMs,
            errorsBound: summary.capacity.errorsBound,
            limit: summary.capacity.limit,
            verdict: summary.capacity.verdict,
          },
        }
      : {}),
  };
}

/** Where a run's load test keeps its report, and where its tasks meet (`tasks/INDEX/…`), in the report store. */
export const reportPrefix = (run: PipelineRun): string => `runs/${run.runId}/${armKey(run.scenario, run.arm)}`;

/**
 * The Cloud Run job's end of a pipeline load test: the report files go to the report store, the whole summary is
 * stored with the run, and LoadTestFinished carries the figures and the report's address to reportResults.
 */
export function pipelineSink(run: PipelineRun, deps: PipelineSinkDeps): ReportSink {
  return async (summary, { outDir }) => {
    const key = armKey(run.scenario, run.arm);
    const log = deps.log.child({ runId: run.runId, scenario: key });
    const reportUrl = outDir ? await deps.reports.put(outDir, reportPrefix(run)) : '(no report written)';
    const figures = messageSummary(summary);
    await deps.store.saveLoadTest(run.runId, key, {
      ...figures,
      reportUrl,
      summaryJson: JSON.stringify(summary),
    });
    await deps.publish({ type: 'LoadTestFinished', version: 1, ...run, summary: figures, reportUrl });
    log.info('load test finished', { ...figures, reportUrl });
  };
}

/** When the load test could not run at all (exit code 2): the run fails at load-test, saying why. */
export async function reportCannotRun(run: PipelineRun, err: unknown, deps: Pick<PipelineSinkDeps, 'publish' | 'log'>) {
  const reason = `the load test could not run: ${errorMessage(err)}`;
  deps.log.child({ runId: run.runId, scenario: armKey(run.scenario, run.arm) }).error(reason);
  await deps.publish({
    type: 'PipelineFailed',
    version: 1,
    runId: run.runId,
    stage: 'load-test',
    scenario: run.scenario,
    ...armFields(run.arm),
    reason,
  });
}

/**
 * The pipeline side of the Cloud Run job, from its environment: launchLoadTest sets MODELSHIP_RUN_ID and
 * MODELSHIP_SERVING_IMAGE (the image under test; MODELSHIP_IMAGE is --image, an input file); the job's own configuration gives the project and the report bucket. Undefined when the
 * load tester runs by hand (no run id).
 */
export function pipelineFromEnv(
  scenario: string | undefined,
  env: NodeJS.ProcessEnv,
): { run: PipelineRun; deps: PipelineSinkDeps; close(): Promise<void> } | undefined {
  if (!env.MODELSHIP_RUN_ID) return undefined;
  const { GOOGLE_CLOUD_PROJECT: projectId, REPORT_BUCKET } = loadConfig(['GOOGLE_CLOUD_PROJECT', 'REPORT_BUCKET'], env);
  const run = {
    runId: env.MODELSHIP_RUN_ID,
    scenario: scenario ?? 'unnamed',
    ...armFields(ARMS.find((a) => a === env.MODELSHIP_ARM)),
    image: env.MODELSHIP_SERVING_IMAGE ?? '',
  };
  const db = new Firestore({ projectId });
  const pubsub = new PubSub({ projectId });
  let storage: Storage | undefined;
  const deps: PipelineSinkDeps = {
    store: createFirestoreStore(db),
    publish: createPublisher(pubsub),
    reports: createReportStore(REPORT_BUCKET, () => (storage ??= new Storage({ projectId }))),
    log: createLogger({ labels: { component: 'loadtest-job' } }),
  };
  return { run, deps, close: async () => void (await Promise.all([db.terminate(), pubsub.close()])) };
}
