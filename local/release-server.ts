import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './listen.js';

/**
 * A stand-in for GitHub's release assets, for the local stack and the tests. It serves what the pipeline reads:
 * - `API/repos/O/N/releases/assets/ID` with `Accept: application/octet-stream`: a 302 to a signed URL on a separate
 *   storage origin (as GitHub redirects to its object store), so a client must not carry its token across;
 * - `SERVER/O/N/releases/download/TAG/NAME`: the browser download URL (public releases only);
 * - `API/repos/O/N/releases/ID` and `.../releases/tags/TAG`: the release as JSON.
 * Private releases answer 404 without the right `Authorization: Bearer TOKEN`, as GitHub does. With a `token`, releases
 * are published as on GitHub (what `modelship local release` does against a stack started by `local up`):
 * `POST API/repos/O/N/releases` creates one, and its `upload_url` (`SERVER/uploads/repos/O/N/releases/ID/assets`, the
 * stand-in's uploads.github.com) takes an asset with `POST ...?name=NAME`, both with `Authorization: Bearer TOKEN`.
 * Every other POST or PATCH under `API/repos/O/N/` (a release comment, a release update) is recorded and answered 201.
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
const releaseJson = (r: ServedRelease, body: string, uploadUrl: string) => ({
  id: r.id,
  upload_url: `${uploadUrl}/repos/${r.repository}/releases/${r.id}/assets{?name,label}`,
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

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const text = (await readRaw(req)).toString('utf8');
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

/**
 * `token`: the one token that may publish releases and upload assets (as a GitHub token with contents:write); without
 * it, releases are only added in this process (`addRelease`).
 */
export async function startReleaseServer({
  port = 0,
  token,
}: { port?: number; token?: string } = {}): Promise<ReleaseServer> {
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
  // GitHub takes a token as `Bearer TOKEN` or `token TOKEN` (what Octokit sends).
  const bearer = (req: IncomingMessage, wanted: string) => {
    const given = Buffer.from((req.headers.authorization ?? '').replace(/^token /, 'Bearer '));
    const expected = Buffer.from(`Bearer ${wanted}`);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const authorized = (stored: Stored, req: IncomingMessage) => !stored.token || bearer(req, stored.token);
  const mayWrite = (req: IncomingMessage) => token !== undefined && bearer(req, token);

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
      const upload = /^\/uploads\/repos\/([^/]+\/[^/]+)\/releases\/(\d+)\/assets$/.exec(path);
      if (req.method === 'POST' && (upload || api?.[2] === 'releases')) {
        if (!mayWrite(req)) return json(res, 401, { message: 'Bad credentials' });
        if (upload) return uploadAsset(req, res, upload[1] as string, Number(upload[2]));
        const { tag_name: tag } = ((await readBody(req)) ?? {}) as { tag_name?: unknown };
        if (typeof tag !== 'string' || !tag) return json(res, 422, { message: 'tag_name is required' });
        const stored = addStored(api?.[1] as string, tag, undefined);
        return json(res, 201, releaseJson(stored.release, stored.body, uploadUrl));
      }
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
          return json(res, 200, releaseJson(target.release, target.body, uploadUrl));
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
        return json(res, 200, releaseJson(stored.release, stored.body, uploadUrl));
      }
      const download = /^\/([^/]+\/[^/]+)\/releases\/download\/([^/]+)\/([^/]+)$/.exec(path);
      const stored =
        download && releases.find((r) => r.release.repository === download[1] && r.release.tag === download[2]);
      const asset = stored?.release.assets.find((a) => a.name === download?.[3]);
      if (!stored || !asset || stored.token) return notFound(res);
      send(res, stored.files.get(asset.id) as ReleaseAssetInput);
    })().catch((err: unknown) => json(res, 500, { message: String(err) }));
  });
  // Node closes an idle connection after 5 s, racing a client (Octokit, fetch) that reuses it at that moment: an
  // ECONNRESET seen on a busy machine. Idle connections stay a minute; close() still ends them at once.
  for (const server of [main, storage]) server.keepAliveTimeout = 60_000;
  const serverUrl = await listenOnLoopback(main, port);
  const apiUrl = `${serverUrl}/api`;
  const uploadUrl = `${serverUrl}/uploads`;

  function addStored(repository: string, tag: string, releaseToken: string | undefined): Stored {
    const id = nextId++;
    const release: ServedRelease = {
      id,
      repository,
      tag,
      htmlUrl: `${serverUrl}/${repository}/releases/tag/${tag}`,
      private: Boolean(releaseToken),
      assets: [],
    };
    const stored: Stored = { release, body: '', token: releaseToken, files: new Map() };
    releases.push(stored);
    return stored;
  }
  function addAsset(stored: Stored, a: ReleaseAssetInput): ServedAsset {
    const assetId = nextId++;
    const { repository, tag } = stored.release;
    stored.files.set(assetId, a);
    const served = {
      id: assetId,
      name: a.name,
      size: a.content.length,
      url: `${apiUrl}/repos/${repository}/releases/assets/${assetId}`,
      browserDownloadUrl: `${serverUrl}/${repository}/releases/download/${tag}/${a.name}`,
    };
    stored.release.assets.push(served);
    return served;
  }
  async function uploadAsset(req: IncomingMessage, res: ServerResponse, repository: string, id: number) {
    const name = new URL(req.url ?? '/', 'http://github').searchParams.get('name');
    const stored = releases.find(
      (r) => r.release.id === id && r.release.repository.toLowerCase() === repository.toLowerCase(),
    );
    if (!stored) return notFound(res);
    if (!name) return json(res, 422, { message: 'the name query parameter is required' });
    return json(res, 201, assetJson(addAsset(stored, { name, content: await readRaw(req) })));
  }

  return {
    serverUrl,
    apiUrl,
    posts,
    get downloads() {
      return downloads;
    },
    notes: (id) => releases.find((r) => r.release.id === id)?.body,
    addRelease({ repository, tag, assets, token: releaseToken }) {
      const stored = addStored(repository, tag, releaseToken);
      for (const a of assets) addAsset(stored, a);
      return stored.release;
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
