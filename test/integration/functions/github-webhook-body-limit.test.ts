import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkReady } from '../../../local/child.js';
import { freePort } from '../../../local/free-port.js';
import { distPath, packageRoot } from '../../../shared/paths.js';
import { signedHeaders } from '../../support/github.js';

/**
 * The webhook's instance refuses a body over MAX_WEBHOOK_BYTES while reading it, served as in Cloud Functions (the
 * Functions Framework's own CLI) and by the local functions host, each in a process of its own built from dist/.
 * A body that is never finished shows that the answer did not wait for the rest of it: a server that buffers the
 * whole body never answers, and the test fails on its timeout.
 */
const LIMIT = 4096;
const SECRET = 'body-limit-secret-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'modelship-body-limit-'));
const env = {
  PATH: process.env.PATH ?? '',
  METADATA_SERVER_DETECTION: 'none',
  GOOGLE_CLOUD_PROJECT: 'modelship-body-limit',
  GITHUB_WEBHOOK_SECRET: SECRET,
  ALLOWED_REPOSITORIES: 'o/r',
  MAX_WEBHOOK_BYTES: String(LIMIT),
  FUNCTION_TARGET: 'githubWebhook',
};

interface Served {
  url: string;
  stop(): Promise<void>;
}

/** `functions-framework --target=githubWebhook`, bound to 127.0.0.1 as bench/cold-start.ts does. */
async function frameworkCli(): Promise<Served> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      `--import=${pathToFileURL(distPath('bench/loopback.js')).href}`,
      join(packageRoot, 'node_modules/@google-cloud/functions-framework/build/src/main.js'),
      '--target=githubWebhook',
      `--source=${distPath('functions/index.js')}`,
      `--port=${port}`,
    ],
    { cwd: packageRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onOutput = (chunk: Buffer) => {
      output += String(chunk);
      if (output.includes(`URL: http://localhost:${port}/`)) resolve();
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.once('exit', (code) => reject(new Error(`the Functions Framework exited with ${code}:\n${output}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The local stack's host of one function (local/functions-main.ts), as the stack starts it. */
async function localHost(): Promise<Served> {
  const host = await forkReady<string>(distPath('local/functions-main.js'), ['--function', 'githubWebhook'], {
    env,
    logFile: join(dir, 'functions-host.log'),
  });
  return { url: `${host.ready}/githubWebhook`, stop: host.stop };
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  json: Record<string, unknown>;
  /** Whether the server said 100 Continue first. */
  continued: boolean;
}

/**
 * Sends the head, then `body` without ending the request (or, asked to wait for 100 Continue, the whole of `body`
 * once it comes), and resolves with the answer, whenever it comes.
 */
function answerBeforeTheEnd(url: string, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
  const waits = headers.expect === '100-continue';
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = request(url, { method: 'POST', headers });
    req.on('error', reject);
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        req.destroy();
        const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json, continued });
      });
    });
    req.flushHeaders();
    if (body && !waits) req.write(body);
  });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  ['the Functions Framework CLI, as in Cloud Functions', frameworkCli],
  ['the local functions host', localHost],
])('githubWebhook served by %s', (_, serve) => {
  let served: Served;
  beforeAll(async () => {
    served = await serve();
  }, 120_000);
  afterAll(() => served?.stop());

  it('refuses a Content-Length over the limit with 413 before a byte of the body is sent', async () => {
    const headers = { 'content-type': 'application/json', 'content-length': String(40 * 1024 * 1024) };
    const res = await answerBeforeTheEnd(served.url, headers);
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(res.json.error).toBe(`body of 41943040 bytes exceeds the ${LIMIT}-byte limit`);
  }, 15_000);

  it('cuts off a chunked body as soon as it passes the limit, without waiting for its end', async () => {
    const res = await answerBeforeTheEnd(
      served.url,
      { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      Buffer.alloc(LIMIT + 1, 'x'),
    );
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(res.json.error).toBe(`body of more than ${LIMIT} bytes exceeds the ${LIMIT}-byte limit`);
  }, 15_000);

  it('tells a client that asks first (Expect: 100-continue) 413 instead of the go-ahead', async () => {
    const headers = {
      'content-type': 'application/json',
      'content-length': String(40 * 1024 * 1024),
      expect: '100-continue',
    };
    const res = await answerBeforeTheEnd(served.url, headers);
    expect(res).toMatchObject({ status: 413, continued: false });
  }, 15_000);

  it('gives the go-ahead to a client that asks first with a body within the limit', async () => {
    const body = JSON.stringify({ zen: 'Design for failure.' });
    const headers = {
      ...signedHeaders(body, SECRET, 'ping', randomUUID()),
      'content-length': String(Buffer.byteLength(body)),
      expect: '100-continue',
    };
    const res = await answerBeforeTheEnd(served.url, headers, Buffer.from(body));
    expect(res).toMatchObject({ status: 200, continued: true, json: { pong: true } });
  });

  it.each([
    ['with a Content-Length', (b: string) => b],
    ['chunked', (b: string) => new Blob([b]).stream()],
  ])('hands a body within the limit on whole (%s): a signed ping is answered', async (_, framed) => {
    const body = JSON.stringify({ zen: 'Keep it logically awesome.', padding: 'x'.repeat(LIMIT - 100) });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(LIMIT);
    const res = await fetch(served.url, {
      method: 'POST',
      headers: signedHeaders(body, SECRET, 'ping', randomUUID()),
      body: framed(body),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ pong: true });
  });
});
