import { Octokit } from '@octokit/rest';
import { ownerAndRepo } from '../shared/github/repository-name.js';

/** A GitHub to publish releases on: the local stack's stand-in (local/release-server.ts), with a token that may write. */
export interface GitHubAccess {
  /** GITHUB_API_URL */
  apiUrl: string;
  /** GITHUB_SERVER_URL */
  serverUrl: string;
  token: string;
}

export interface PublishedRelease {
  releaseId: number;
  asset: { id: number; name: string; size: number };
}

const octokit = (github: GitHubAccess) => new Octokit({ baseUrl: github.apiUrl, auth: github.token });

/**
 * A release with one asset, published as on GitHub through its REST API: the release created, then the asset
 * uploaded to the release's `upload_url` (uploads.github.com on GitHub, under the stand-in's own URL locally).
 */
export async function publishRelease(
  github: GitHubAccess,
  o: { repository: string; tag: string; asset: { name: string; content: Buffer } },
): Promise<PublishedRelease> {
  const { owner, repo } = ownerAndRepo(o.repository);
  const client = octokit(github);
  const { data: release } = await client.rest.repos.createRelease({ owner, repo, tag_name: o.tag, name: o.tag });
  const { data: asset } = await client.rest.repos.uploadReleaseAsset({
    owner,
    repo,
    release_id: release.id,
    url: release.upload_url,
    name: o.asset.name,
    // Octokit sends the bytes as they are; its type says string only.
    data: o.asset.content as unknown as string,
    headers: { 'content-type': 'application/gzip' },
  });
  return { releaseId: release.id, asset: { id: asset.id, name: asset.name, size: asset.size } };
}

/** A release's notes as GitHub has them now (modelship writes its results there). */
export async function releaseNotes(github: GitHubAccess, repository: string, releaseId: number): Promise<string> {
  const { owner, repo } = ownerAndRepo(repository);
  const { data } = await octokit(github).rest.repos.getRelease({ owner, repo, release_id: releaseId });
  return data.body ?? '';
}
