import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { restOutputCheck } from '../../../../loadtest/senders/output-check.js';
import { createRestSender, type RestSenderOptions } from '../../../../loadtest/senders/rest.js';
import type { Sender } from '../../../../loadtest/senders/sender.js';
import { parseTarget, type Target } from '../../../../loadtest/senders/target.js';
import { silentServers } from '../../../support/silent-servers.js';
import { echoServers } from '../support.js';

const echoServer = echoServers();
const silent = silentServers();
const senders: Sender[] = [];
afterEach(async () => {
  await Promise.all(senders.splice(0).map((s) => s.close()));
});

const body = new TextEncoder().encode('{"signature_name":"serving_default","inputs":{"x":[[1,2]]}}');
async function sender(port: number, options: Partial<RestSenderOptions> = {}, host = '127.0.0.1'): Promise<Sender> {
  const target = parseTarget(`${host}:${port}`) as Target;
  const s = await createRestSender({ target, path: '/v1/models/tiny:predict', body, timeoutMs: 5000, ...options });
  senders.push(s);
  return s;
}

describe('the REST sender', () => {
  it('POSTs the JSON body to the path over keep-alive connections and reads the reply', async () => {
    const seen: { method?: string; url?: string; type?: string; host?: string; body: string; socket: unknown }[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          type: req.headers['content-type'],
          host: req.headers.host,
          body: Buffer.concat(chunks).toString(),
          socket: req.socket,
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"predictions": [[0.5, 0.5]]}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const s = await sender(port, { keepReply: true });
      const first = await s.send();
      const second = await s.send();
      expect(first).toMatchObject({ ok: true, code: 'OK', bytesSent: body.length, bytesReceived: 29 });
      expect(Buffer.from(first.body!).toString()).toBe('{"predictions": [[0.5, 0.5]]}');
      expect(second.ok).toBe(true);
      const predicts = seen.filter((r) => r.method === 'POST');
      expect(predicts).toHaveLength(2);
      expect(predicts[0]).toMatchObject({
        url: '/v1/models/tiny:predict',
        type: 'application/json',
        host: `127.0.0.1:${port}`,
        body: Buffer.from(body).toString(),
      });
      expect(predicts[1]!.socket).toBe(predicts[0]!.socket); // kept alive
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("fails an HTTP error with its status and TF Serving's error message", async () => {
    const failing = await echoServer({ failEvery: 1 });
    const result = await (await sender(failing.restPort)).send();
    expect(result).toMatchObject({ ok: false, code: 'http 503', message: 'echo server unavailable' });
  });

  it("checks the reply's shape against the signature on the checked replies", async () => {
    const server = await echoServer();
    const replyCheck = restOutputCheck([{ name: 'y', dtype: 'DT_FLOAT', shape: [-1, 3] }], 2);
    const s = await sender(server.restPort, { replyCheck });
    const [unchecked, checked] = [await s.send(), await s.send()];
    expect(unchecked.ok).toBe(true);
    expect(checked).toMatchObject({
      ok: false,
      code: 'shape',
      message: "output 'y': expected shape [-1,3], found [1,2]",
    });
  });

  it('times a request out at --timeout and says so', async () => {
    const slow = await echoServer({ latencyMs: 2000 });
    const s = await sender(slow.restPort, { timeoutMs: 100 });
    const started = performance.now();
    const result = await s.send();
    expect(result).toMatchObject({ ok: false, code: 'timeout', message: 'no reply within 100 ms' });
    expect(performance.now() - started).toBeLessThan(400);
  });

  it('spreads requests over the addresses of a dns:/// target', async () => {
    const server = await echoServer();
    const s = await sender(server.restPort, {}, 'dns:///127.0.0.1');
    const results = await Promise.all([s.send(), s.send()]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(server.received()).toBeGreaterThanOrEqual(2);
  });

  it('fails within --timeout, naming the target, when the server accepts and never answers', async () => {
    const { port, taken } = await silent.tcp();
    await expect(sender(port, { timeoutMs: 200 })).rejects.toThrow(
      `target 127.0.0.1:${port}: could not connect over HTTP: no answer within 200 ms`,
    );
    expect(taken()).toBe(1);
  });

  it('fails at once, naming the target, when nothing listens', async () => {
    await expect(sender(1)).rejects.toThrow(/target 127\.0\.0\.1:1: could not connect over HTTP: .*ECONNREFUSED/);
  });
});
