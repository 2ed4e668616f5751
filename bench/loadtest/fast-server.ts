import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { frame } from '../../loadtest/senders/grpc-wire.js';

export interface FastServer {
  readonly port: number;
  stop(): Promise<void>;
}

const WINDOW = 2 ** 30;

/**
 * The bench's gRPC server for throughput, tuned so that a 602 KB request does not make it the limit: it accepts
 * the largest frames (one DATA frame per request instead of 37 of 16 KB), opens a 1 GB connection window (no
 * WINDOW_UPDATE round trips), drains request bodies without keeping or decoding them, and answers each method
 * path with its reply message, framed once.
 */
export async function startFastServer(replies: Record<string, Uint8Array>): Promise<FastServer> {
  const framed = new Map(Object.entries(replies).map(([path, message]) => [path, frame(message)]));
  const server = http2.createServer({
    settings: { initialWindowSize: WINDOW, maxFrameSize: 2 ** 24 - 1 },
    maxSessionMemory: 4096,
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.setLocalWindowSize(WINDOW);
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    stream.resume();
    stream.on('end', () => {
      if (stream.destroyed) return; // a client that stopped with calls in flight (h2load -D) reset them
      const reply = framed.get(String(headers[':path']));
      if (!reply) {
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' },
          { endStream: true },
        );
        return;
      }
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(reply);
    });
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}
