import http from 'node:http';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

/**
 * Servers on 127.0.0.1 that take what they are sent and never answer, each a way a load test could wait forever:
 * a TCP port that never speaks HTTP/2, an HTTP/2 server that takes streams and never responds, an HTTP/1.1 server
 * that answers GET (a connection check) but never a POST. Each counts what it took; all stop after each test.
 */
export function silentServers(): {
  tcp(): Promise<SilentServer>;
  http2(): Promise<SilentServer>;
  http1(): Promise<SilentServer>;
} {
  const started: { server: net.Server; held: Set<{ destroy(): unknown }> }[] = [];
  afterEach(async () => {
    for (const { server, held } of started.splice(0)) {
      for (const h of held) h.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
  const start = async (server: net.Server, held: Set<{ destroy(): unknown }>): Promise<SilentServer> => {
    started.push({ server, held });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, taken: () => held.size };
  };
  return {
    tcp() {
      const held = new Set<net.Socket>();
      return start(
        net.createServer((socket) => void held.add(socket.on('error', () => undefined))),
        held,
      );
    },
    http2() {
      const held = new Set<http2.ServerHttp2Session>();
      const server = http2.createServer();
      server.on('session', (session) => void held.add(session.on('error', () => undefined)));
      server.on('stream', (stream) => void stream.on('error', () => undefined));
      return start(server, held);
    },
    http1() {
      const held = new Set<net.Socket>();
      const server = http.createServer((req, res) => {
        req.resume();
        if (req.method === 'GET') res.writeHead(404).end();
      });
      server.on('connection', (socket) => void held.add(socket));
      return start(server, held);
    },
  };
}

export interface SilentServer {
  readonly port: number;
  /** Connections (sessions) it accepted so far. */
  readonly taken: () => number;
}
