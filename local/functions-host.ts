import { createServer, type RequestListener, type Server } from 'node:http';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { listenOnLoopback } from './listen.js';

/**
 * Serves one registered Cloud Function on a loopback port under `/NAME`, through the Functions Framework's own
 * server (the same body parsing, CloudEvent conversion and error handling as in Cloud Functions).
 */
export async function serveFunction(name: string, port: number): Promise<{ url: string; server: Server }> {
  await import('../functions/index.js');
  const app = getTestServer(name).listeners('request')[0] as RequestListener | undefined;
  if (!app) throw new Error(`function ${name} has no request listener`);
  const prefix = `/${name}`;
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url !== prefix && !url.startsWith(`${prefix}/`)) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: `this process serves function '${name}' only` }));
      return;
    }
    req.url = url.slice(prefix.length) || '/';
    app(req, res);
  });
  return { url: await listenOnLoopback(server, port), server };
}
