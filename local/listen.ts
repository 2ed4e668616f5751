import type { Server } from 'node:net';

/** Starts a server on 127.0.0.1 (port 0 picks a free one) and returns its port. */
export async function listenOnLoopbackPort(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}

/** Starts an HTTP server on 127.0.0.1 (port 0 picks a free one) and returns its `http://127.0.0.1:PORT` URL. */
export async function listenOnLoopback(server: Server, port: number): Promise<string> {
  return `http://127.0.0.1:${await listenOnLoopbackPort(server, port)}`;
}
