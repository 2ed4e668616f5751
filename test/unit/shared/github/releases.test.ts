import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchWithin } from '../../../../shared/call-timeout.js';
import { TransientError } from '../../../../shared/errors.js';
import { createReleaseNotes } from '../../../../shared/github/releases.js';
import { startReleaseServer, type ReleaseServer } from '../../../../local/release-server.js';
import { silentServers } from '../../../support/silent-servers.js';

let github: ReleaseServer;
const servers = silentServers();

beforeAll(async () => {
  github = await startReleaseServer();
});
afterAll(async () => {
  await github?.stop();
});

/** The release notes through Octokit as reportResults builds it, with its calls bounded by `ms`. */
const notesAt = (baseUrl: string, ms: number) =>
  createReleaseNotes(new Octokit({ auth: 'a-token', baseUrl, request: { fetch: fetchWithin(ms) } }));

describe('createReleaseNotes', () => {
  it('writes a section of the release notes through the bounded fetch', async () => {
    const release = github.addRelease({ repository: 'o/model', tag: 'v1', assets: [] });
    const { url } = await notesAt(github.apiUrl, 10_000).upsert('o/model', 'v1', 'modelship', '**passed**');
    expect(url).toBe(release.htmlUrl);
    expect(github.notes(release.id)).toContain('**passed**');
  });

  it('fails a call GitHub never answers after the timeout, naming the call and the time', async () => {
    const silent = await servers.tcp();
    const url = `http://127.0.0.1:${silent.port}`;
    const err = await notesAt(url, 200)
      .upsert('o/model', 'v1', 'modelship', 'x')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).message).toBe(
      `GitHub: updating the notes of release v1 of o/model failed: GET ${url}/repos/o/model/releases/tags/v1 ` +
        'did not complete within 0.2 s',
    );
    expect(silent.taken()).toBeGreaterThan(0);
  });
});
