import type { Octokit } from '@octokit/rest';
import { errorMessage, TransientError } from '../errors.js';
import { hasSection, upsertSection } from './release-notes.js';
import { ownerAndRepo } from './repository-name.js';

export interface ReleaseNotes {
  /** Writes (or rewrites) one section of a release's notes. */
  upsert(repository: string, tag: string, key: string, markdown: string): Promise<{ url: string }>;
}

const ATTEMPTS = 3;
/**
 * How long each GitHub API call may take, its answer included (Octokit's `request.fetch`: fetchWithin). A hung call
 * fails the attempt, which Pub/Sub retries, rather than the function's whole time.
 */
export const GITHUB_CALL_TIMEOUT_MS = 10_000;

/**
 * Release notes through GitHub's REST API. Two scenarios of one run may finish together and both rewrite the body,
 * and GitHub offers no conditional update: each write is read back, and redone when the other one overwrote it.
 */
export function createReleaseNotes(octokit: Octokit): ReleaseNotes {
  return {
    async upsert(repository, tag, key, markdown) {
      const { owner, repo } = ownerAndRepo(repository);
      try {
        for (let attempt = 1; ; attempt++) {
          const { data: release } = await octokit.rest.repos.getReleaseByTag({ owner, repo, tag });
          if (!hasSection(release.body, key, markdown)) {
            const body = upsertSection(release.body, key, markdown);
            await octokit.rest.repos.updateRelease({ owner, repo, release_id: release.id, body });
          }
          const { data: after } = await octokit.rest.repos.getRelease({ owner, repo, release_id: release.id });
          if (hasSection(after.body, key, markdown) || attempt >= ATTEMPTS) return { url: after.html_url };
        }
      } catch (err) {
        const refused = [401, 403, 404].includes((err as { status?: number }).status ?? 0);
        throw new TransientError(
          `GitHub: updating the notes of release ${tag} of ${repository} failed: ${errorMessage(err)}`,
          {
            cause: err,
            ...(refused
              ? { hint: 'check that GITHUB_TOKEN may write releases of this repository (contents: write)' }
              : {}),
          },
        );
      }
    },
  };
}
