import { ownerAndRepo } from '../shared/github/repository-name.js';

/** GitHub's `release` webhook payload for a release with one asset, as GitHub shapes it (the fields it always has). */
export interface ReleasePayloadOptions {
  repository: string;
  tag: string;
  releaseId: number;
  asset: { id: number; name: string; size: number };
  /** Base URLs: GitHub's, or the local release server's. */
  apiUrl: string;
  serverUrl: string;
  action?: string;
}

export function releasePayload(o: ReleasePayloadOptions): Record<string, unknown> {
  const { owner, repo } = ownerAndRepo(o.repository);
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    action: o.action ?? 'published',
    release: {
      url: `${o.apiUrl}/repos/${o.repository}/releases/${o.releaseId}`,
      html_url: `${o.serverUrl}/${o.repository}/releases/tag/${o.tag}`,
      id: o.releaseId,
      tag_name: o.tag,
      name: o.tag,
      draft: false,
      prerelease: false,
      created_at: now,
      published_at: now,
      assets: [
        {
          url: `${o.apiUrl}/repos/${o.repository}/releases/assets/${o.asset.id}`,
          id: o.asset.id,
          name: o.asset.name,
          content_type: 'application/gzip',
          state: 'uploaded',
          size: o.asset.size,
          browser_download_url: `${o.serverUrl}/${o.repository}/releases/download/${o.tag}/${o.asset.name}`,
        },
      ],
    },
    repository: { full_name: o.repository, name: repo, private: false, owner: { login: owner } },
    sender: { login: owner },
  };
}
