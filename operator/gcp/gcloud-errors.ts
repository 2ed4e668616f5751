import type { RunResult } from './command-runner.js';

/**
 * What gcloud's and kubectl's failures mean. gcloud says "not found" in many ways depending on the service
 * (NOT_FOUND, 404, "was not found", "Cannot find job"); a read that fails that way means "absent", anything else
 * is an error. Hints are the fixes people need for the errors they meet; docs/gcp.md lists the same ones.
 */

const NOT_FOUND = /NOT_FOUND|\bnot found\b|was not found|does not exist|Cannot find|\(NotFound\)|\b404\b/i;

/** Failures that pass by themselves: IAM not yet aware of a new service account, a concurrent policy edit. */
const TRANSIENT =
  /Service account \S+ does not exist|concurrent policy changes|ABORTED|UNAVAILABLE|Deadline exceeded|try again/i;

export function isNotFound(result: RunResult): boolean {
  return result.code !== 0 && NOT_FOUND.test(result.stderr);
}

export function isTransient(result: RunResult): boolean {
  return result.code !== 0 && TRANSIENT.test(result.stderr);
}

const HINTS: readonly (readonly [pattern: RegExp, hint: string])[] = [
  [/^gcloud: command not found/, 'install the Google Cloud SDK (https://cloud.google.com/sdk/docs/install)'],
  [
    /^kubectl: command not found/,
    'install kubectl and the auth plugin: gcloud components install kubectl gke-gcloud-auth-plugin',
  ],
  [/gke-gcloud-auth-plugin/, 'install the GKE auth plugin: gcloud components install gke-gcloud-auth-plugin'],
  [/active account|gcloud auth login|Reauthentication/i, 'sign in: gcloud auth login'],
  [
    /allowedPolicyMemberDomains/,
    'an organization policy forbids allUsers: ask for an exception on the webhook function',
  ],
  [/billing/i, 'link a billing account to the project: gcloud billing projects link PROJECT --billing-account=ID'],
  [
    /has not been used in project|SERVICE_DISABLED|is disabled/,
    'an API is not enabled yet: apply enables it; right after, wait a minute',
  ],
  [
    /PERMISSION_DENIED|does not have permission|\b403\b/,
    'the account running apply needs roles/owner on the project (or the roles in docs/gcp.md)',
  ],
  [/Build failed|build failed/i, 'the function did not build: open the build log URL above (Cloud Build)'],
];

export function hintFor(stderr: string): string | undefined {
  return HINTS.find(([pattern]) => pattern.test(stderr))?.[1];
}

/** The last lines of a command's error output: gcloud puts the cause there. */
export function lastLines(text: string, count = 6): string {
  return text.trim().split('\n').slice(-count).join('\n');
}
