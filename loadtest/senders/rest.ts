import http from 'node:http';
import { ModelshipError } from '../../shared/errors.js';
import { Deadlines, timeoutFailure } from './deadlines.js';
import type { ReplyCheck } from './reply-check.js';
import type { SendResult, Sender } from './sender.js';
import { resolveAddresses, type Target } from './target.js';

export interface RestSenderOptions {
  readonly target: Target;
  /** '/v1/models/resnet:predict' */
  readonly path: string;
  /** The JSON request body, encoded once. */
  readonly body: Uint8Array;
  readonly timeoutMs: number;
  readonly keepReply?: boolean;
  readonly replyCheck?: ReplyCheck;
}

/** TF Serving's REST API is HTTP/1.1: keep-alive connections, one request each at a time, as many as needed. */
export async function createRestSender(options: RestSenderOptions): Promise<Sender> {
  const { target, timeoutMs, replyCheck } = options;
  const addresses = await resolveAddresses(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const body = Buffer.from(options.body);
  const deadlines = new Deadlines(timeoutMs);
  let sent = 0;

  const send = (): Promise<SendResult> =>
    new Promise((resolve) => {
      sent += 1;
      const keep = options.keepReply === true || (replyCheck !== undefined && sent % replyCheck.every === 0);
      const host = addresses[sent % addresses.length]!;
      let failure: { code: string; message: string } | undefined;
      const req = http.request({
        host,
        port: target.port,
        method: 'POST',
        path: options.path,
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length, host: target.authority },
      });
      const cancel = deadlines.add(() => {
        failure = timeoutFailure(timeoutMs);
        req.destroy();
      });
      const fail = (code: string, message: string, bytesReceived = 0): void => {
        cancel();
        resolve({
          ok: false,
          code: failure?.code ?? code,
          message: failure?.message ?? message,
          bytesSent: body.length,
          bytesReceived,
        });
      };
      req.on('error', (err: NodeJS.ErrnoException) => fail('connection', `${err.code ?? 'error'}: ${err.message}`));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (keep || res.statusCode !== 200) chunks.push(chunk);
        });
        res.on('error', (err) => fail('connection', err.message, received));
        res.on('end', () => {
          cancel();
          const reply = Buffer.concat(chunks);
          const bytes = { bytesSent: body.length, bytesReceived: received };
          if (res.statusCode !== 200) {
            const message =
              /"error"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(reply.toString())?.[1] ?? reply.toString().slice(0, 200);
            resolve({ ok: false, code: `http ${res.statusCode}`, message, ...bytes });
            return;
          }
          const wrong = keep ? replyCheck?.check(reply) : undefined;
          if (wrong !== undefined) resolve({ ok: false, code: 'shape', message: wrong, ...bytes });
          else resolve({ ok: true, code: 'OK', ...bytes, ...(keep ? { body: reply } : {}) });
        });
      });
      req.end(body);
    });

  // Fail fast on a wrong address: one connection up front.
  await httpGet({ host: addresses[0]!, port: target.port, path: '/', agent }, timeoutMs).catch((err: Error) => {
    agent.destroy();
    throw new ModelshipError(`target ${target.authority}: could not connect over HTTP: ${err.message}`, {
      cause: err,
      hint: 'check --target (TF Serving REST listens on 8501) and that the server is up',
    });
  });

  return {
    send,
    async close() {
      deadlines.close();
      agent.destroy();
    },
  };
}

/**
 * One GET, connection and whole answer within `timeoutMs`: its status and body. A server that accepts and never
 * answers, or never ends its answer, fails with ETIMEDOUT, as a connection never made (the first call retries it).
 */
export function httpGet(
  request: { host: string; port: number; path: string; agent?: http.Agent },
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(request, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() });
      });
    });
    const timer = setTimeout(() => {
      const connecting = req.socket?.connecting !== false;
      const err = new Error(`${connecting ? 'no connection' : 'no answer'} within ${timeoutMs} ms`);
      req.destroy(Object.assign(err, { code: 'ETIMEDOUT' }));
      reject(err);
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
