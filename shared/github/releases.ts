import type { Octokit } from '@octokit/rest';
import { TransientError } from '../errors.js';
import { hasSection, upsertSection } from './release-notes.js';

export interface ReleaseNotes {
  /** Writes (or rewrites) one section of a release's notes. */
  upsert(repository: string, tag: string, key: string, markdown: string): Promise<{ url: string }>;
}

const ATTEMPTS = 3;

/**
 * Release notes through GitHub's REST API. Two scenarios of one run may finish together and both rewrite the body,
 * and GitHub offers no conditional update: each write is read back, and redone when the other one overwrote it.
 */
export function createReleaseNotes(octokit: Octokit): ReleaseNotes {
  return {
    async upsert(repository, tag, key, markdown) {
      const [owner = '', repo = ''] = repository.split('/');
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
        throw new TransientError(`GitHub: updating the notes of release ${tag} of ${repository} failed`, {
          cause: err,
          hint: 'check that GITHUB_TOKEN may write releases of this repository (contents: write)',
        });
      }
    },
  };
}
