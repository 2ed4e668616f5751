import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './listen.js';

/**
 * A stand-in for GitHub's release assets, for the local stack and the tests. It serves what the pipeline reads:
 * - `API/repos/O/N/releases/assets/ID` with `Accept: application/octet-stream`: a 302 to a signed URL on a separate
 *   storage origin (as GitHub redirects to its object store), so a client must not carry its token across;
 * - `SERVER/O/N/releases/download/TAG/NAME`: the browser download URL (public releases only);
 * - `API/repos/O/N/releases/ID` and `.../releases/tags/TAG`: the release as JSON.
 * Private releases answer 404 without the right `Authorization: Bearer TOKEN`, as GitHub does. Every POST or PATCH under
 * `API/repos/O/N/` (a release comment, a release update) is recorded and answered 201.
 */

export interface ReleaseAssetInput {
  name: string;
  content: Buffer;
  /** Serve without Content-Length (chunked), as a storage server may. */
  chunked?: boolean;
}

export interface ServedAsset {
  id: number;
  name: string;
  size: number;
  /** The API URL (GITHUB_API_URL/repos/O/N/releases/assets/ID). */
  url: string;
  browserDownloadUrl: string;
}

export interface ServedRelease {
  id: number;
  repository: string;
  tag: string;
  htmlUrl: string;
  private: boolean;
  assets: ServedAsset[];
}

export interface RecordedPost {
  method: string;
  path: string;
  repository: string;
  body: unknown;
}

export interface ReleaseServer {
  /** GITHUB_SERVER_URL */
  serverUrl: string;
  /** GITHUB_API_URL */
  apiUrl: string;
  addRelease(o: { repository: string; tag: string; assets: ReleaseAssetInput[]; token?: string }): ServedRelease;
  /** The release's notes now (modelship writes its results there). */
  notes(id: number): string | undefined;
  /** Every POST and PATCH received, in order. */
  readonly posts: readonly RecordedPost[];
  /** Resolves with the first recorded post matching `predicate` (already there or to come), or fails after `timeoutMs`. */
  waitForPost(predicate: (p: RecordedPost) => boolean, timeoutMs?: number): Promise<RecordedPost>;
  /** Asset downloads served so far (each one a full body sent). */
  readonly downloads: number;
  stop(): Promise<void>;
}

interface Stored {
  release: ServedRelease;
  /** The release notes, which modelship rewrites with its results (PATCH releases/ID). */
  body: string;
  token: string | undefined;
  files: Map<number, ReleaseAssetInput>;
}

/** An asset and a release as GitHub's REST API shows them. */
const assetJson = (a: ServedAsset) => ({
  id: a.id,
  name: a.name,
  size: a.size,
  state: 'uploaded',
  content_type: 'application/gzip',
  url: a.url,
  browser_download_url: a.browserDownloadUrl,
});
const releaseJson = (r: ServedRelease, body: string) => ({
  id: r.id,
  body,
  tag_name: r.tag,
  name: r.tag,
  html_url: r.htmlUrl,
  draft: false,
  prerelease: false,
  assets: r.assets.map(assetJson),
});

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const notFound = (res: ServerResponse) =>
  json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

export async function startReleaseServer({ port = 0 }: { port?: number } = {}): Promise<ReleaseServer> {
  const releases: Stored[] = [];
  const posts: RecordedPost[] = [];
  const waiters = new Set<() => void>();
  const signingKey = randomBytes(16);
  let nextId = 1;
  let downloads = 0;
  const sign = (assetId: number) => createHmac('sha256', signingKey).update(String(assetId)).digest('hex');

  const send = (res: ServerResponse, asset: ReleaseAssetInput) => {
    downloads++;
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (!asset.chunked) headers['content-length'] = String(asset.content.length);
    res.writeHead(200, headers).end(asset.content);
  };
  const findAsset = (repository: string, id: number) => {
    const stored = releases.find(
      (r) => r.release.repository.toLowerCase() === repository.toLowerCase() && r.files.has(id),
    );
    return stored && { stored, file: stored.files.get(id) as ReleaseAssetInput };
  };
  const authorized = (stored: Stored, req: IncomingMessage) => {
    if (!stored.token) return true;
    const given = Buffer.from(req.headers.authorization ?? '');
    const wanted = Buffer.from(`Bearer ${stored.token}`);
    return given.length === wanted.length && timingSafeEqual(given, wanted);
  };

  const storage = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://storage');
    const id = Number(/^\/assets\/(\d+)$/.exec(url.pathname)?.[1]);
    const sig = Buffer.from(url.searchParams.get('sig') ?? '');
    const ok = sig.length === 64 && timingSafeEqual(sig, Buffer.from(sign(id)));
    const file = ok ? releases.find((r) => r.files.has(id))?.files.get(id) : undefined;
    if (!file) return json(res, 403, { message: 'signature does not match' });
    send(res, file);
  });
  const storageUrl = await listenOnLoopback(storage, 0);

  const main = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://github').pathname;
      const api = /^\/api\/repos\/([^/]+\/[^/]+)\/(.*)$/.exec(path);
      if (api && (req.method === 'POST' || req.method === 'PATCH')) {
        const body = await readBody(req);
        posts.push({ method: req.method, path: path.slice('/api'.length), repository: api[1] as string, body });
        for (const w of waiters) w();
        // Updating a release (its notes) as GitHub does: the new release comes back; writes need a token.
        const edited = req.method === 'PATCH' && /^releases\/(\d+)$/.exec(api[2] ?? '')?.[1];
        const target = edited && releases.find((r) => r.release.id === Number(edited));
        if (target) {
          if (!req.headers.authorization) return json(res, 401, { message: 'Requires authentication' });
          const notes = (body as { body?: unknown } | undefined)?.body;
          if (typeof notes === 'string') target.body = notes;
          return json(res, 200, releaseJson(target.release, target.body));
        }
        return json(res, 201, { id: posts.length, html_url: `${serverUrl}/${api[1]}` });
      }
      if (req.method !== 'GET') return json(res, 405, { message: 'Method Not Allowed' });
      if (api) {
        const [, repository = '', rest = ''] = api;
        const assetId = /^releases\/assets\/(\d+)$/.exec(rest)?.[1];
        if (assetId) {
          const found = findAsset(repository, Number(assetId));
          if (!found || !authorized(found.stored, req)) return notFound(res);
          if (!(req.headers.accept ?? '').includes('application/octet-stream')) {
            return json(
              res,
              200,
              assetJson(found.stored.release.assets.find((a) => a.id === Number(assetId)) as ServedAsset),
            );
          }
          res.writeHead(302, { location: `${storageUrl}/assets/${assetId}?sig=${sign(Number(assetId))}` }).end();
          return;
        }
        const byId = /^releases\/(\d+)$/.exec(rest)?.[1];
        const byTag = /^releases\/tags\/(.+)$/.exec(rest)?.[1];
        const stored = releases.find(
          (r) =>
            r.release.repository.toLowerCase() === repository.toLowerCase() &&
            (r.release.id === Number(byId) || r.release.tag === decodeURIComponent(byTag ?? '\0')),
        );
        if (!stored || !authorized(stored, req)) return notFound(res);
        return json(res, 200, releaseJson(stored.release, stored.body));
      }
      const download = /^\/([^/]+\/[^/]+)\/releases\/download\/([^/]+)\/([^/]+)$/.exec(path);
      const stored =
        download && releases.find((r) => r.release.repository === download[1] && r.release.tag === download[2]);
      const asset = stored?.release.assets.find((a) => a.name === download?.[3]);
      if (!stored || !asset || stored.token) return notFound(res);
      send(res, stored.files.get(asset.id) as ReleaseAssetInput);
    })().catch((err: unknown) => json(res, 500, { message: String(err) }));
  });
  const serverUrl = await listenOnLoopback(main, port);
  const apiUrl = `${serverUrl}/api`;

  return {
    serverUrl,
    apiUrl,
    posts,
    get downloads() {
      return downloads;
    },
    notes: (id) => releases.find((r) => r.release.id === id)?.body,
    addRelease({ repository, tag, assets, token }) {
      const id = nextId++;
      const files = new Map<number, ReleaseAssetInput>();
      const served = assets.map((a): ServedAsset => {
        const assetId = nextId++;
        files.set(assetId, a);
        return {
          id: assetId,
          name: a.name,
          size: a.content.length,
          url: `${apiUrl}/repos/${repository}/releases/assets/${assetId}`,
          browserDownloadUrl: `${serverUrl}/${repository}/releases/download/${tag}/${a.name}`,
        };
      });
      const release = {
        id,
        repository,
        tag,
        htmlUrl: `${serverUrl}/${repository}/releases/tag/${tag}`,
        private: Boolean(token),
        assets: served,
      };
      releases.push({ release, body: '', token, files });
      return release;
    },
    async waitForPost(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = posts.find(predicate);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`no matching POST reached the release server in ${timeoutMs} ms (${posts.length} received)`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            waiters.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, left);
          waiters.add(wake);
        });
      }
    },
    async stop() {
      for (const server of [main, storage]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}
