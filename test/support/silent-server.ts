import { createServer, type Socket } from 'node:net';

/** A server on 127.0.0.1 that accepts connections and never answers: what a hung host looks like to a client. */
export async function startSilentServer(): Promise<{ url: string; connections: () => number; stop(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('server has no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    connections: () => sockets.length,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
