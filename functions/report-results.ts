import type { CloudEventFunction } from '@google-cloud/functions-framework';
import { loadConfig } from '../shared/config.js';
import { fetchWithin } from '../shared/call-timeout.js';
import { createReleaseNotes, GITHUB_CALL_TIMEOUT_MS, type ReleaseNotes } from '../shared/github/releases.js';
import { RunOutcome } from '../shared/messages.js';
import { createReportStore, type ReportStore } from '../shared/report-store.js';
import { REPORT_SETTINGS, reportResults, type ReportDeps } from '../shared/report-results.js';
import { baseDeps, firestoreStore, pubsubPublisher, started } from './deps.js';
import { eventFunction } from './event-function.js';

const GITHUB_SETTINGS = ['GITHUB_TOKEN', 'GITHUB_API_URL'] as const;

/** The report store when REPORT_BUCKET is set; the Storage client is loaded only for a bucket. */
async function reportStore(location: string | undefined, projectId: string): Promise<ReportStore | undefined> {
  if (!location) return undefined;
  const { Storage } = location.startsWith('gs://') ? await import('@google-cloud/storage') : { Storage: undefined };
  // Only a gs:// store calls for its client; a file:/// one (the local stack) never does.
  return createReportStore(location, () => new Storage!({ projectId }));
}

export async function reportResultsDeps(env: NodeJS.ProcessEnv = process.env): Promise<ReportDeps> {
  const { GITHUB_TOKEN, GITHUB_API_URL } = loadConfig(GITHUB_SETTINGS, env);
  const { project, log, deadlines } = baseDeps('reportResults', env);
  const reports = await reportStore(env.REPORT_BUCKET, project);
  let notes: ReleaseNotes | undefined;
  if (GITHUB_TOKEN) {
    const { Octokit } = await import('@octokit/rest');
    const request = { fetch: fetchWithin(GITHUB_CALL_TIMEOUT_MS) };
    notes = createReleaseNotes(
      new Octokit({ auth: GITHUB_TOKEN, baseUrl: GITHUB_API_URL, userAgent: 'modelship', request }),
    );
  }
  return {
    store: await firestoreStore(project),
    log,
    notes,
    publish: pubsubPublisher(project),
    config: loadConfig(REPORT_SETTINGS, env),
    deadlines,
    ...(reports ? { reports } : {}),
  };
}

/**
 * On `load-test-finished`, `pipeline-failed` and `promotion-finished` (deployed once per trigger): the end of each
 * candidate, the gate, and the end of a run.
 */
export const createReportResults = (deps: () => ReportDeps) =>
  eventFunction('reportResults', RunOutcome, deps, reportResults);

/** The deployed function: its deps built from the environment (functions/index.ts). */
export const start = (): Promise<CloudEventFunction<unknown>> => started(reportResultsDeps(), createReportResults);
