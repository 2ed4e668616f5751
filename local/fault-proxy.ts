import { connect, createServer, type Server, type Socket } from 'node:net';
import { listenOnLoopbackPort } from './listen.js';

/**
 * A TCP proxy on 127.0.0.1 that puts network faults between a client and a server, for tests:
 * - 'pass' forwards both ways;
 * - 'hang' accepts connections and forwards nothing, as a server that stopped answering: the client waits for its
 *   own timeout. Held bytes stay in the kernel's buffers, unread, and flow on when the mode is 'pass' again;
 * - 'refuse' stops listening, as a server that is down: a new connection gets ECONNREFUSED.
 * Bytes pass untouched, so TLS runs end to end: the upstream's certificate must be valid for 127.0.0.1.
 */

export type FaultMode = 'pass' | 'hang' | 'refuse';

export interface FaultProxy {
  readonly port: number;
  /**
   * Sets the mode for new connections. With `existing`, 'hang' holds the open connections too and 'refuse' resets
   * them (a server that went down). 'pass' always resumes what was held.
   */
  mode(mode: FaultMode, options?: { existing?: boolean }): Promise<void>;
  /** How many connections are held now: whether a hang caught the client it was meant for. */
  held(): number;
  /** Closes every connection and stops listening. */
  stop(): Promise<void>;
}

interface Link {
  client: Socket;
  upstream?: Socket;
}

export async function startFaultProxy(o: { upstreamHost: string; upstreamPort: number }): Promise<FaultProxy> {
  let current: FaultMode = 'pass';
  const links = new Set<Link>();
  const held = new Set<Link>();

  function forward(link: Link): void {
    held.delete(link);
    if (!link.upstream) {
      // Half-open, as the client's end: each direction ends on its own, through pipe(), as without the proxy.
      link.upstream = connect({ host: o.upstreamHost, port: o.upstreamPort, allowHalfOpen: true });
      // A failure at one end (a reset, a refused upstream) closes the other.
      link.upstream.on('error', () => link.client.destroy());
    }
    link.client.pipe(link.upstream);
    link.upstream.pipe(link.client);
  }

  function hold(link: Link): void {
    held.add(link);
    for (const end of [link.client, link.upstream]) end?.unpipe().pause();
  }

  function accept(client: Socket): void {
    const link: Link = { client };
    links.add(link);
    client.on('error', () => link.upstream?.destroy());
    client.on('close', () => {
      links.delete(link);
      held.delete(link);
    });
    if (current === 'hang') hold(link);
    else forward(link);
  }

  // pauseOnConnect: a connection accepted while hanging reads nothing until it is forwarded.
  const open = (): Server => createServer({ allowHalfOpen: true, pauseOnConnect: true }, accept);
  let server: Server | undefined = open();
  const port = await listenOnLoopbackPort(server, 0);

  return {
    port,
    async mode(mode, { existing = false } = {}) {
      current = mode;
      if (mode === 'refuse') {
        server?.close();
        server = undefined;
        if (existing) {
          for (const link of links) {
            link.client.resetAndDestroy();
            link.upstream?.destroy();
          }
        }
        return;
      }
      if (!server) {
        server = open();
        await listenOnLoopbackPort(server, port);
      }
      if (mode === 'pass') for (const link of held) forward(link);
      else if (existing) for (const link of links) hold(link);
    },
    held: () => held.size,
    async stop() {
      for (const link of links) {
        link.client.destroy();
        link.upstream?.destroy();
      }
      const closing = server;
      server = undefined;
      if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
  };
}
