import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishRelease, releaseNotes } from '../../../local/publish-release.js';
import { startReleaseServer, type ReleaseServer } from '../../../local/release-server.js';

/** Publishing through GitHub's REST API (Octokit) on the stand-in: create the release, upload its asset, read it. */
let server: ReleaseServer;
beforeAll(async () => {
  server = await startReleaseServer({ token: 'writer' });
});
afterAll(() => server.stop());

// As large as the sample model's tarball, so that the body goes out in several chunks.
const content = Buffer.alloc(300_000, 7);

describe('publishRelease', () => {
  it('creates the release and uploads its asset, which is then served as GitHub serves it', async () => {
    const github = { apiUrl: server.apiUrl, serverUrl: server.serverUrl, token: 'writer' };
    const published = await publishRelease(github, {
      repository: 'o/model',
      tag: 'v2',
      asset: { name: 'saved_model.tar.gz', content },
    });
    expect(published.asset).toMatchObject({ name: 'saved_model.tar.gz', size: content.length });
    const download = await fetch(`${server.serverUrl}/o/model/releases/download/v2/saved_model.tar.gz`);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(content);
    const byApi = await fetch(`${server.apiUrl}/repos/o/model/releases/assets/${published.asset.id}`, {
      headers: { accept: 'application/octet-stream' },
    });
    expect(Buffer.from(await byApi.arrayBuffer())).toEqual(content);
    expect(await releaseNotes(github, 'o/model', published.releaseId)).toBe('');
    // Creating a release is not one of the writes the pipeline's own calls are recorded as.
    expect(server.posts).toEqual([]);
  });

  it('refuses a release without the token, and an upload to a release that does not exist', async () => {
    const github = { apiUrl: server.apiUrl, serverUrl: server.serverUrl, token: 'reader' };
    await expect(
      publishRelease(github, { repository: 'o/model', tag: 'v3', asset: { name: 'm.tar.gz', content } }),
    ).rejects.toMatchObject({ status: 401 });
    const upload = await fetch(`${server.serverUrl}/uploads/repos/o/model/releases/999/assets?name=m.tar.gz`, {
      method: 'POST',
      headers: { authorization: 'Bearer writer' },
      body: content,
    });
    expect(upload.status).toBe(404);
  });
});
