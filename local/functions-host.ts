import { createServer, type RequestListener, type Server } from 'node:http';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { listenOnLoopback } from './listen.js';

/**
 * Serves registered Cloud Functions on one loopback port, each under `/NAME`, through the Functions Framework's own
 * server (the same body parsing, CloudEvent conversion and error handling as in Cloud Functions).
 */
export async function serveFunctions(names: readonly string[], port: number): Promise<{ url: string; server: Server }> {
  await import('../functions/index.js');
  const apps = new Map<string, RequestListener>();
  for (const name of names) {
    const listener = getTestServer(name).listeners('request')[0] as RequestListener | undefined;
    if (!listener) throw new Error(`function ${name} has no request listener`);
    apps.set(name, listener);
  }
  const server = createServer((req, res) => {
    const [, name = '', ...rest] = (req.url ?? '/').split('/');
    const app = apps.get(name);
    if (!app) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: `no function '${name}'` }));
      return;
    }
    req.url = `/${rest.join('/')}`;
    app(req, res);
  });
  return { url: await listenOnLoopback(server, port), server };
}
