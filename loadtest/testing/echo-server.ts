import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { decodeGetModelMetadataRequest, encodeGetModelMetadataResponse } from '../../shared/tfserving/codec.js';
import type { SignatureSpec } from '../../shared/tfserving/messages.js';
import { GET_MODEL_METADATA_METHOD } from '../../shared/tfserving/methods.js';
import { frame, unframe } from '../senders/grpc-wire.js';

/**
 * A server of known latency, for tests and the bench: gRPC over node:http2 (any method path) and TF Serving's
 * REST predict over HTTP/1.1. Latency = `latencyMs`, plus, for a request arriving during a stall, the rest of
 * the stall. Stalls start every `stall.everyMs` from the server's start and last `stall.forMs`.
 */
export interface EchoServerOptions {
  readonly latencyMs?: number;
  readonly stall?: { readonly everyMs: number; readonly forMs: number };
  /** The reply message (gRPC) or JSON body (REST); 4 bytes / a small JSON by default. */
  readonly reply?: Uint8Array;
  /** Every n-th request received fails: gRPC status 14 UNAVAILABLE, or HTTP 503. */
  readonly failEvery?: number;
  /**
   * A server of known capacity instead of a fixed latency: `count` workers each serve one request in `serviceMs`,
   * first come first served, with at most `queue` requests waiting; a request arriving at a full queue fails at
   * once (UNAVAILABLE / 503, as TF Serving's batching queue). Capacity = count / serviceMs, exactly: each worker's
   * next free time is computed, not left to timers, so a late timer adds latency but never takes capacity away.
   */
  readonly workers?: { readonly count: number; readonly serviceMs: number; readonly queue: number };
  /** Answer GetModelMetadata as TF Serving with model `model` (other names get NOT_FOUND); Predict gets `reply`. */
  readonly tfServing?: { readonly model: string; readonly signatures: Record<string, SignatureSpec> };
}

export interface EchoServer {
  readonly grpcPort: number;
  readonly restPort: number;
  /** performance.now() when the stall schedule started. */
  readonly startedAt: number;
  /** Requests received so far (with `tfServing`, GetModelMetadata is not one). */
  readonly received: () => number;
  /** The most requests that were ever in progress at once. */
  readonly maxConcurrent: () => number;
  /** The latency in ms the server gives a request arriving `atMs` after startedAt: the truth to test against. */
  readonly latencyAt: (atMs: number) => number;
  stop(): Promise<void>;
}

export async function startEchoServer(options: EchoServerOptions = {}): Promise<EchoServer> {
  const base = options.latencyMs ?? 0;
  const latencyAt = (atMs: number): number => {
    const stall = options.stall;
    if (!stall) return base;
    const into = atMs % stall.everyMs;
    return base + (into < stall.forMs ? stall.forMs - into : 0);
  };
  const startedAt = performance.now();
  let received = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  const pool = options.workers && workerPool(options.workers);
  // Calls back after the request's latency, telling whether it is one of the failing ones.
  const later = (fn: (fail: boolean) => void): void => {
    received += 1;
    concurrent += 1;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    const now = performance.now();
    const served = pool?.admit(now);
    const refused = pool !== undefined && served === undefined;
    const fail = refused || (options.failEvery !== undefined && received % options.failEvery === 0);
    const delay = pool ? (served ?? now) - now : latencyAt(now - startedAt);
    const reply = (): void => {
      concurrent -= 1;
      fn(fail);
    };
    if (delay <= 0) reply();
    else setTimeout(reply, delay);
  };
  const grpcReply = frame(options.reply ?? new Uint8Array([1, 2, 3, 4]));
  const metadataReply =
    options.tfServing && frame(encodeGetModelMetadataResponse({ signatures: options.tfServing.signatures }));
  // The reply to a request, or a gRPC error status: TF Serving's NOT_FOUND for another model name.
  const tfServingAnswer = (path: string, chunks: Buffer[]): { reply: Buffer } | { status: number; message: string } => {
    if (!options.tfServing) return { reply: grpcReply };
    // Only GetModelMetadata is decoded: decoding every Predict would make the server the bench's bottleneck.
    if (path !== GET_MODEL_METADATA_METHOD) return { reply: grpcReply };
    const message = unframe(Buffer.concat(chunks));
    if (typeof message === 'string') return { status: 13, message };
    const name = decodeGetModelMetadataRequest(message).modelSpec.name;
    if (name !== options.tfServing.model)
      return { status: 5, message: `Servable not found for request: Latest(${name})` };
    return { reply: metadataReply! };
  };

  const grpc = http2.createServer({ settings: { initialWindowSize: 64 * 1024 * 1024 }, maxSessionMemory: 4096 });
  const sessions = new Set<http2.ServerHttp2Session>();
  grpc.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  grpc.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    // The model's metadata is the load tester's first call, not load: answered at once, never failed nor counted.
    const metadata = options.tfServing !== undefined && headers[':path'] === GET_MODEL_METADATA_METHOD;
    stream.on('error', () => undefined);
    stream.on('data', (chunk: Buffer) => metadata && chunks.push(chunk));
    const respond = (fail: boolean): void => {
      if (stream.destroyed) return;
      const answer = fail
        ? { status: 14, message: 'echo server unavailable' }
        : tfServingAnswer(String(headers[':path']), chunks);
      if ('status' in answer) {
        const trailers = { 'grpc-status': String(answer.status), 'grpc-message': encodeURIComponent(answer.message) };
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...trailers }, { endStream: true });
        return;
      }
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(answer.reply);
    };
    stream.on('end', () => (metadata ? respond(false) : later(respond)));
  });

  const restReply = options.reply ?? new TextEncoder().encode('{"predictions": [[0.5, 0.5]]}');
  const rest = http.createServer({ keepAlive: true }, (req, res) => {
    req.resume();
    // Only predict (POST) has the latency: anything else is answered at once, as TF Serving answers GET / (404).
    if (req.method !== 'POST') return void res.writeHead(404).end();
    req.on('end', () =>
      later((fail) => {
        if (fail)
          res.writeHead(503, { 'content-type': 'application/json' }).end('{"error": "echo server unavailable"}');
        else res.writeHead(200, { 'content-type': 'application/json' }).end(restReply);
      }),
    );
  });

  const listen = (server: http.Server | http2.Http2Server): Promise<number> =>
    new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  const [grpcPort, restPort] = await Promise.all([listen(grpc), listen(rest)]);
  const close = (server: http.Server | http2.Http2Server): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => resolve());
      if ('closeAllConnections' in server) server.closeAllConnections();
    });
  return {
    grpcPort,
    restPort,
    startedAt,
    received: () => received,
    maxConcurrent: () => maxConcurrent,
    latencyAt,
    async stop() {
      for (const session of sessions) session.destroy();
      await Promise.all([close(grpc), close(rest)]);
    },
  };
}

/** N workers behind a bounded FIFO queue: when each admitted request will be done, or undefined when it is refused. */
function workerPool(workers: { readonly count: number; readonly serviceMs: number; readonly queue: number }): {
  admit(nowMs: number): number | undefined;
} {
  const freeAt = new Array<number>(workers.count).fill(0);
  // Start times of admitted requests that had to wait, in order; those already started are dropped lazily.
  const waiting: number[] = [];
  return {
    admit(nowMs) {
      while (waiting.length > 0 && waiting[0]! <= nowMs) waiting.shift();
      let worker = 0;
      for (let i = 1; i < freeAt.length; i++) if (freeAt[i]! < freeAt[worker]!) worker = i;
      const start = Math.max(nowMs, freeAt[worker]!);
      if (start > nowMs) {
        if (waiting.length >= workers.queue) return undefined;
        waiting.push(start);
      }
      freeAt[worker] = start + workers.serviceMs;
      return freeAt[worker];
    },
  };
}
