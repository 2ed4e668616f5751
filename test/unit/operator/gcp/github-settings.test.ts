import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { githubSettings, probeWebhook } from '../../../../operator/gcp/github-settings.js';
import type { GcpConfig } from '../../../../operator/gcp/config-schema.js';

const config = {
  project: 'p1-project',
  github: { repositories: ['o/a', 'o/b'], webhookSecret: 'hook-secret' },
} as unknown as GcpConfig;

describe('githubSettings', () => {
  it('shows a generated secret once, and otherwise how to read it', () => {
    const fresh = githubSettings(config, 'https://x/hook', 'abc123').join('\n');
    expect(fresh).toContain('Secret:        abc123');
    expect(fresh).toContain('https://github.com/o/b/settings/hooks/new');
    const again = githubSettings(config, 'https://x/hook', undefined).join('\n');
    expect(again).not.toContain('abc123');
    expect(again).toContain('gcloud secrets versions access latest --secret=hook-secret --project=p1-project');
  });
});

describe('probeWebhook', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
  });

  /** A webhook stand-in answering `status`; it records the headers it got. */
  async function serve(status: number): Promise<{ url: string; seen: Record<string, unknown>[]; server: Server }> {
    const seen: Record<string, unknown>[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      req.resume().on('end', () => res.writeHead(status).end('x'));
    });
    servers.push(server);
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, seen, server };
  }

  it('is satisfied by a 401 to an unsigned ping, and sends no signature', async () => {
    const { url, seen } = await serve(401);
    expect(await probeWebhook(url, fetch)).toEqual({
      ok: true,
      detail: `${url} answers and rejects an unsigned request (401)`,
    });
    expect(seen[0]?.['x-github-event']).toBe('ping');
    expect(seen[0]?.['x-hub-signature-256']).toBeUndefined();
  });

  it('fails on an accepted unsigned request, a 403 or another status', async () => {
    const detail = async (status: number) => {
      const result = await probeWebhook((await serve(status)).url, fetch);
      expect(result.ok).toBe(false);
      return result.detail;
    };
    expect(await detail(202)).toMatch(/accepted an unsigned request \(202\): check GITHUB_WEBHOOK_SECRET/);
    expect(await detail(403)).toMatch(/does not let allUsers invoke it/);
    expect(await detail(500)).toMatch(/answered 500: read the function's logs/);
  });

  it('fails when nothing answers', async () => {
    const { url, server } = await serve(401);
    await new Promise((done) => server.close(done));
    servers.splice(0);
    expect(await probeWebhook(url, fetch)).toEqual({
      ok: false,
      detail: expect.stringMatching(/is not reachable: fetch failed/),
    });
  });
});
