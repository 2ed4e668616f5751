import examples from '@octokit/webhooks-examples';
import { signBody } from '../../shared/github/signature.js';

type Example = Record<string, unknown>;

/** A real payload from @octokit/webhooks-examples, deep-copied so that a test may change it. */
export function githubExample(event: string, action?: string): Example {
  const entry = (examples as unknown as Array<{ name: string; examples: Example[] }>).find((e) => e.name === event);
  const example = entry?.examples.find((e) => action === undefined || e.action === action);
  if (!example) throw new Error(`no @octokit/webhooks-examples payload for ${event} ${action ?? ''}`);
  return structuredClone(example);
}

/** A release asset as GitHub's API shows it, belonging to `repo`. */
export function releaseAsset(
  repo: string,
  tag: string,
  name: string,
  id = 42,
  size = 1234,
  base = 'https://github.com',
  api = 'https://api.github.com',
) {
  return {
    url: `${api}/repos/${repo}/releases/assets/${id}`,
    id,
    node_id: 'RA_kwDO',
    name,
    label: null,
    content_type: 'application/gzip',
    state: 'uploaded',
    size,
    download_count: 0,
    created_at: '2019-05-15T15:20:00Z',
    updated_at: '2019-05-15T15:20:00Z',
    browser_download_url: `${base}/${repo}/releases/download/${tag}/${name}`,
  };
}

export interface ReleasePayload {
  release: { assets: unknown[]; tag_name: string; draft: boolean; prerelease: boolean };
  repository: { full_name: string };
}

/** The published-release example with a model asset attached. */
let assets = 42;
/** A newly published release: each call a release asset of its own (modelship runs a release with one asset once). */
export function publishedRelease(assetName = 'saved_model.tar.gz'): ReleasePayload {
  const payload = githubExample('release', 'published') as unknown as ReleasePayload;
  payload.release.assets = [releaseAsset('Codertocat/Hello-World', payload.release.tag_name, assetName, assets++)];
  return payload;
}

export function signedHeaders(body: string, secret: string, event: string, delivery: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': delivery,
    'x-hub-signature-256': signBody(body, secret),
    'user-agent': 'GitHub-Hookshot/test',
  };
}
