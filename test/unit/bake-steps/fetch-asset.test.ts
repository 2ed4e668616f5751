import { createHash } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BakeError } from '../../../bake-steps/bake-error.js';
import { fetchAsset } from '../../../bake-steps/fetch-asset.js';
import { startReleaseServer, type ReleaseServer } from '../../../local/release-server.js';
import { listen } from '../../support/http-server.js';
import { silentServers } from '../../support/silent-servers.js';

const servers = silentServers();

let server: ReleaseServer;
let work: string;
const content = Buffer.from('a release asset '.repeat(1000));

beforeAll(async () => {
  server = await startReleaseServer();
  work = await mkdtemp(join(tmpdir(), 'modelship-fetch-'));
});
afterAll(async () => {
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

/** A fetch that records which headers went to which origin. */
function recordingFetch() {
  const calls: Array<{ origin: string; authorization: string | undefined }> = [];
  const wrapped: typeof fetch = (input, init) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    calls.push({ origin: new URL(String(input)).origin, authorization: headers.authorization });
    return fetch(input, init);
  };
  return { calls, fetch: wrapped };
}

/** The releasing repository and the API the asset URL must belong to. */
const of = (repository: string) => ({ repository, apiUrl: server.apiUrl });

const failure = async (p: Promise<unknown>) => {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BakeError);
  return err as BakeError;
};

describe('fetchAsset', () => {
  it('downloads a public asset through its API URL and the redirect, with its sha256', async () => {
    const { assets } = server.addRelease({
      repository: 'o/public',
      tag: 'v1',
      assets: [{ name: 'm.tar.gz', content }],
    });
    const out = join(work, 'public.tar.gz');
    const got = await fetchAsset({ url: assets[0]!.url, ...of('o/public'), out, maxBytes: 1e6 });
    expect(got.bytes).toBe(content.length);
    expect(got.sha256).toBe(createHash('sha256').update(content).digest('hex'));
    expect(got.finalUrl).not.toContain(server.apiUrl);
    expect((await readFile(out)).equals(content)).toBe(true);
  });

  it('sends the token for a private asset to GitHub only, never to the storage host it redirects to', async () => {
    const { assets } = server.addRelease({
      repository: 'o/private',
      tag: 'v1',
      assets: [{ name: 'm.tar.gz', content }],
      token: 't0ken',
    });
    const rec = recordingFetch();
    await fetchAsset({
      url: assets[0]!.url,
      ...of('o/private'),
      out: join(work, 'private.tar.gz'),
      maxBytes: 1e6,
      token: 't0ken',
      fetch: rec.fetch,
    });
    expect(rec.calls).toHaveLength(2);
    expect(rec.calls[0]).toEqual({ origin: new URL(server.apiUrl).origin, authorization: 'Bearer t0ken' });
    expect(rec.calls[1]?.origin).not.toBe(rec.calls[0]?.origin);
    expect(rec.calls[1]?.authorization).toBeUndefined();

    const denied = await failure(
      fetchAsset({ url: assets[0]!.url, ...of('o/private'), out: join(work, 'denied'), maxBytes: 1e6 }),
    );
    expect(denied.failure).toBe('download');
    expect(denied.message).toMatch(/answered 404 Not Found.*set GITHUB_TOKEN_SECRET/);
  });

  it('refuses a URL that is not a release asset of the repository before any request, the token unsent', async () => {
    const url = `${server.apiUrl}/repos/o/mine/releases/assets/1`;
    const forged = [
      { url, repository: 'o/other' },
      { url: url.replace(server.apiUrl, 'http://127.0.0.1:9'), repository: 'o/mine' },
      { url: `${url}?redirect=http://attacker.example`, repository: 'o/mine' },
      { url: url.replace(/\/assets\/\d+$/, '/assets/../../other/releases/assets/1'), repository: 'o/mine' },
      { url: url.replace('/o/mine/', '/o/../o/mine/'), repository: 'o/../o/mine' },
    ];
    for (const { url: u, repository } of forged) {
      const rec = recordingFetch();
      const out = join(work, 'forged');
      const err = await failure(
        fetchAsset({ url: u, ...of(repository), out, maxBytes: 1e6, token: 't0ken', fetch: rec.fetch }),
      );
      expect(err.failure).toBe('not-a-release-asset');
      expect(err.message).toContain(
        `refused to download ${u} is not ${server.apiUrl}/repos/${repository}/releases/assets/ID, a release asset of ${repository}`,
      );
      expect(rec.calls).toEqual([]);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('refuses an asset over the cap from its Content-Length, and cuts one without a length at the cap', async () => {
    const { assets } = server.addRelease({
      repository: 'o/big',
      tag: 'v1',
      assets: [
        { name: 'sized.tar.gz', content },
        { name: 'chunked.tar.gz', content, chunked: true },
      ],
    });
    for (const asset of assets) {
      const out = join(work, asset.name);
      const err = await failure(fetchAsset({ url: asset.url, ...of('o/big'), out, maxBytes: 1000 }));
      expect(err.failure).toBe('too-large');
      expect(err.message).toMatch(/over the cap of 1000 bytes/);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('retries a 5xx, then gives up with the last answer', async () => {
    const { assets } = server.addRelease({ repository: 'o/flaky', tag: 'v1', assets: [{ name: 'm.tar.gz', content }] });
    let failures = 1;
    const flaky: typeof fetch = (input, init) =>
      failures-- > 0 ? Promise.resolve(new Response('busy', { status: 503 })) : fetch(input, init);
    const got = await fetchAsset({
      url: assets[0]!.url,
      ...of('o/flaky'),
      out: join(work, 'flaky'),
      maxBytes: 1e6,
      fetch: flaky,
      retryDelaysMs: [0],
    });
    expect(got.bytes).toBe(content.length);
    failures = 5;
    const err = await failure(
      fetchAsset({
        url: assets[0]!.url,
        ...of('o/flaky'),
        out: join(work, 'flaky2'),
        maxBytes: 1e6,
        fetch: flaky,
        retryDelaysMs: [0, 0],
      }),
    );
    expect(err.message).toMatch(/could not be downloaded: GET .* answered 503/);
  });

  describe('bounded in time', () => {
    const asset = 'repos/o/slow/releases/assets/1';
    const opts = (apiUrl: string, timeoutMs: number) => ({
      url: `${apiUrl}/${asset}`,
      repository: 'o/slow',
      apiUrl,
      out: join(work, `slow-${timeoutMs}`),
      maxBytes: 1e6,
      timeoutMs,
      retryDelaysMs: [0, 0],
    });

    /** Answers with `chunks` pieces of a 100-byte body, the next one each time `next` says so. */
    async function trickle(chunks: number, next: (res: ServerResponse, write: () => void) => void) {
      const server = createServer((_req, res) => {
        res.writeHead(200, { 'content-length': String(chunks * 100) });
        let sent = 0;
        const write = () => {
          if (++sent > chunks) return;
          res.write(Buffer.alloc(100, 'x'));
          if (sent === chunks) res.end();
          else next(res, write);
        };
        write();
      });
      return listen(server);
    }

    it('fails a host that never answers after the timeout, each attempt, naming the call', async () => {
      const silent = await servers.tcp();
      const url = `http://127.0.0.1:${silent.port}`;
      const err = await failure(fetchAsset(opts(url, 200)));
      expect(err.failure).toBe('download');
      expect(err.message).toBe(
        `the release asset could not be downloaded: GET ${url}/${asset} did not answer within 0.2 s`,
      );
      expect(silent.taken()).toBeGreaterThanOrEqual(3);
    });

    it('fails a download that stops sending, naming it and what had come', async () => {
      const stalled = await trickle(3, () => undefined);
      try {
        const err = await failure(fetchAsset(opts(stalled.url, 200)));
        expect(err.message).toBe(
          `the release asset could not be downloaded: downloading ${stalled.url}/${asset} failed after 100 bytes: ` +
            `GET ${stalled.url}/${asset} sent nothing for 0.2 s`,
        );
      } finally {
        await stalled.close();
      }
    });

    it('lets a download take longer than the timeout as long as it keeps sending', async () => {
      // Six pauses of 150 ms (the slow host under test, not a wait of the test's): 0.9 s in all, under 0.5 s each.
      const slow = await trickle(7, (_res, write) => setTimeout(write, 150));
      try {
        const got = await fetchAsset(opts(slow.url, 500));
        expect(got.bytes).toBe(700);
      } finally {
        await slow.close();
      }
    });
  });
});
