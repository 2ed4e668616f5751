import type { CloudEventFunction } from '@google-cloud/functions-framework';
import { loadConfig } from '../shared/config.js';
import { fetchWithin } from '../shared/call-timeout.js';
import { createReleaseNotes, GITHUB_CALL_TIMEOUT_MS, type ReleaseNotes } from '../shared/github/releases.js';
import { RunOutcome } from '../shared/messages.js';
import { REPORT_SETTINGS, reportResults, type ReportDeps } from '../shared/report-results.js';
import { baseDeps, firestoreStore, pubsubPublisher, started } from './deps.js';
import { eventFunction } from './event-function.js';

const GITHUB_SETTINGS = ['GITHUB_TOKEN', 'GITHUB_API_URL'] as const;

export async function reportResultsDeps(env: NodeJS.ProcessEnv = process.env): Promise<ReportDeps> {
  const { GITHUB_TOKEN, GITHUB_API_URL } = loadConfig(GITHUB_SETTINGS, env);
  const { project, log, deadlines } = baseDeps('reportResults', env);
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
