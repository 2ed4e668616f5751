import { Server } from 'node:net';

/**
 * Preloaded (`node --import`) into the functions that bench/cold-start.ts starts: the Functions Framework's CLI
 * listens on every interface and has no flag for the host, so a bare port is bound on 127.0.0.1 instead.
 */
const listen = Server.prototype.listen;
Server.prototype.listen = function (this: Server, ...args: unknown[]) {
  const [port, host] = args;
  const barePort = typeof port === 'number' || (typeof port === 'string' && /^\d+$/.test(port));
  if (barePort && typeof host !== 'string') args.splice(1, 0, '127.0.0.1');
  return listen.apply(this, args as Parameters<typeof listen>);
} as typeof listen;
