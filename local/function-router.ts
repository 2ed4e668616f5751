import { listenOnLoopback } from './listen.js';
import { createServer, request, type Server } from 'node:http';

/**
 * One address for every function of the local stack, `/NAME/...` to the process serving NAME, as Cloud Functions
 * gives each function a URL of its own. Each function runs in its own process (its own service account, its own
 * cold start); this only forwards, byte for byte.
 */
export async function startFunctionRouter(
  targets: ReadonlyMap<string, string>,
  port: number,
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const [, name = '', ...rest] = (req.url ?? '/').split('/');
    const target = targets.get(name);
    if (!target) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: `no function '${name}'; the stack serves ${[...targets.keys()].join(', ')}` }));
      return;
    }
    const upstream = request(
      `${target}/${name}/${rest.join('/')}`,
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`function ${name} did not answer: ${err.message}`);
    });
    req.pipe(upstream);
  });
  return { url: await listenOnLoopback(server, port), server };
}
