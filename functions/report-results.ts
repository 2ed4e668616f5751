import { Octokit } from '@octokit/rest';
import { loadConfig } from '../shared/config.js';
import { createReleaseNotes } from '../shared/github/releases.js';
import { RunOutcome } from '../shared/messages.js';
import { reportResults, type ReportDeps } from '../shared/report-results.js';
import { commonDeps } from './deps.js';
import { eventFunction } from './event-function.js';

export const REPORT_SETTINGS = ['GITHUB_TOKEN', 'GITHUB_API_URL'] as const;

export function reportResultsDeps(env: NodeJS.ProcessEnv = process.env): ReportDeps {
  const { GITHUB_TOKEN, GITHUB_API_URL } = loadConfig(REPORT_SETTINGS, env);
  const { store, log } = commonDeps('reportResults', env);
  const notes = GITHUB_TOKEN
    ? createReleaseNotes(new Octokit({ auth: GITHUB_TOKEN, baseUrl: GITHUB_API_URL, userAgent: 'modelship' }))
    : undefined;
  return { store, log, notes };
}

/** On `load-test-finished` and `pipeline-failed` (deployed twice, one trigger each): the end of a run. */
export const createReportResults = (deps: () => ReportDeps) =>
  eventFunction('reportResults', RunOutcome, deps, reportResults);
