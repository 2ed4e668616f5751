import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';

/** What a request over the limit is answered with; `size` is its Content-Length, or "more than N" when cut off. */
export type TooLarge = (size: string) => { status: number; body: unknown };

/**
 * Bounds the request bodies of the HTTP server of this process: a Content-Length over `maxBytes` is answered at
 * once, before a byte of the body is read; a body without one (chunked) is read until it passes `maxBytes`, then
 * answered. Either answer closes the connection, so the rest of the body is never read.
 *
 * The Functions Framework reads every body (body-parser, with a limit of 1024mb) before it calls the function, and
 * offers no option or hook in front of that. What does see a request first is Node's `http.server.request.start`
 * channel, published before the server emits 'request': on a server's first request, the guard takes the place of
 * the server's listener (the framework's app in Cloud Functions, the router of the local functions host). It reads
 * the body into req.rawBody, where the framework puts it, and hands the request on already read, which the
 * framework's parsers then leave alone. A client that asks first (`Expect: 100-continue`, as curl does for a large
 * body) gets the 413 instead of the go-ahead, and sends nothing; one that sends at once may see the connection
 * reset rather than the answer, the price of not reading the rest.
 */
export function limitRequestBodies(maxBytes: number, tooLarge: TooLarge): void {
  const servers = new WeakSet<Server>();
  subscribe('http.server.request.start', (message) => {
    const { server } = message as { server: Server };
    if (servers.has(server)) return;
    servers.add(server);
    const listeners = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    const onRequest = guard((req, res) => listeners.forEach((l) => l(req, res)), maxBytes, tooLarge);
    server.on('request', onRequest);
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      if (!(declaredLength(req) > maxBytes)) res.writeContinue();
      onRequest(req, res);
    });
  });
}

const declaredLength = (req: IncomingMessage) => Number(req.headers['content-length']);

function guard(listener: RequestListener, maxBytes: number, tooLarge: TooLarge): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const refuse = (size: string) => {
      const { status, body } = tooLarge(size);
      const json = JSON.stringify(body);
      res
        .writeHead(status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(json),
          connection: 'close',
        })
        .end(json);
    };
    const declared = declaredLength(req);
    if (declared > maxBytes) {
      refuse(String(declared));
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData).off('end', onEnd).pause();
      refuse(`more than ${maxBytes}`);
    };
    const onEnd = () => {
      (req as IncomingMessage & { rawBody?: Buffer }).rawBody = Buffer.concat(chunks);
      listener(req, res);
    };
    req.on('data', onData).on('end', onEnd);
  };
}
