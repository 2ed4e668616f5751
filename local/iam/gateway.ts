import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Grant } from '../../operator/gcp/iam.js';
import { checksFor, type Check, type GatewayService } from './methods.js';
import { createPolicy } from './policy.js';

/**
 * An IAM-enforcing gRPC gateway for the local stack. Each (member, service) gets a listener of its own, so a process
 * given that listener as its emulator host is that member, as a metadata server gives each Cloud Run service its
 * identity. Every call is checked against the plan's grants on its first request message and, when allowed,
 * proxied unchanged (headers, messages both ways, trailers, resets) to the real upstream emulator; when not, it gets
 * the PERMISSION_DENIED Google would give.
 */

export interface Denial {
  member: string;
  /** The gRPC path, `/package.Service/Method`. */
  method: string;
  /** The permission and resource that failed; both empty when the call could not be checked (no rule). */
  permission: string;
  resource: string;
  at: Date;
}

export interface IamGatewayOptions {
  project: string;
  grants: readonly Grant[];
  /** The real emulators, `host:port`. */
  upstreams: Partial<Record<GatewayService, string>>;
  /** Told of each refused call as it happens (tests wait on it rather than poll). */
  onDenial?: (denial: Denial) => void;
}

export interface IamGateway {
  /** `127.0.0.1:PORT` of the listener that calls `service` as `member`, started on first ask. */
  hostFor(member: string, service: GatewayService): Promise<string>;
  /** Every refused call, in order. */
  readonly denials: Denial[];
  stop(): Promise<void>;
}

const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR, NGHTTP2_FLAG_END_STREAM } = http2.constants;
const PERMISSION_DENIED = 7;
const UNAVAILABLE = 14;
// Connection-specific headers HTTP/2 forbids forwarding; `te: trailers` stays (gRPC requires it).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);

function forwardable(headers: http2.IncomingHttpHeaders): http2.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith(':') && !HOP_BY_HOP.has(k)));
}

/** grpc-message's percent-encoding: every byte outside printable ASCII, and `%` itself. */
function percentEncode(message: string): string {
  return [...Buffer.from(message, 'utf8')]
    .map((b) =>
      b >= 0x20 && b <= 0x7e && b !== 0x25
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

/** Answers a call with a status and no messages (a gRPC trailers-only response). */
function refuse(stream: http2.ServerHttp2Stream, code: number, message: string): void {
  if (stream.closed || stream.headersSent) return;
  stream.respond(
    {
      ':status': 200,
      'content-type': 'application/grpc',
      'grpc-status': String(code),
      'grpc-message': percentEncode(message),
    },
    { endStream: true },
  );
  // Whatever the client still sends is dropped.
  stream.resume();
}

export function startIamGateway(options: IamGatewayOptions): IamGateway {
  const policy = createPolicy(options.project, options.grants);
  const denials: Denial[] = [];
  const listeners = new Map<string, Promise<{ server: http2.Http2Server; host: string }>>();
  const upstreamSessions = new Set<http2.ClientHttp2Session>();
  const serverSessions = new Set<http2.ServerHttp2Session>();

  /** The first check that fails, the reason the call cannot be checked, or undefined when it is allowed. */
  function decide(
    member: string,
    service: GatewayService,
    method: string,
    buffered: Buffer,
    headers: http2.IncomingHttpHeaders,
  ): Check | string | undefined {
    // The first message: 1 byte compressed flag, 4 bytes length, then the message (empty when the client sent none).
    if (buffered[0] === 1) return `the IAM gateway cannot check ${method}: its first message is compressed`;
    const message = buffered.length >= 5 ? buffered.subarray(5, 5 + buffered.readUInt32BE(1)) : Buffer.alloc(0);
    let checks: Check[] | undefined;
    try {
      checks = checksFor(service, method, { message, headers });
    } catch (err) {
      return `the IAM gateway cannot read the resource of ${method}: ${(err as Error).message}`;
    }
    if (!checks) return `the IAM gateway has no rule for ${method}: add one in local/iam/methods.ts`;
    return checks.find((c) => !policy.allows(member, c.permission, c.resource));
  }

  function listen(
    member: string,
    service: GatewayService,
    upstream: string,
  ): Promise<{ server: http2.Http2Server; host: string }> {
    let session: http2.ClientHttp2Session | undefined;
    const upstreamSession = () => {
      if (!session || session.closed || session.destroyed) {
        session = http2.connect(`http://${upstream}`);
        // Errors reach each stream; an idle session's own error must not crash the stack.
        session.on('error', () => {});
        const s = session;
        upstreamSessions.add(s);
        s.on('close', () => upstreamSessions.delete(s));
      }
      return session;
    };

    function forward(
      stream: http2.ServerHttp2Stream,
      headers: http2.IncomingHttpHeaders,
      buffered: Buffer,
      ended: boolean,
    ): void {
      const request = upstreamSession().request(
        {
          ...forwardable(headers),
          ':method': 'POST',
          ':path': headers[':path'],
          ':scheme': 'http',
          ':authority': upstream,
        },
        { endStream: false },
      );
      let trailers: http2.IncomingHttpHeaders = {};
      request.on('response', (response, flags) => {
        if (stream.closed) return;
        // A trailers-only answer (an error status, usually) carries grpc-status in its headers and ends at once.
        if (flags & NGHTTP2_FLAG_END_STREAM)
          stream.respond({ ...forwardable(response), ':status': response[':status'] }, { endStream: true });
        else {
          stream.respond({ ...forwardable(response), ':status': response[':status'] }, { waitForTrailers: true });
          request.pipe(stream);
        }
      });
      request.on('trailers', (t) => (trailers = t));
      stream.on('wantTrailers', () => stream.sendTrailers(forwardable(trailers)));
      request.on('error', (err) => {
        if (!stream.headersSent)
          refuse(stream, UNAVAILABLE, `the IAM gateway could not reach ${upstream}: ${err.message}`);
        else if (!stream.closed) stream.close(NGHTTP2_INTERNAL_ERROR);
      });
      // Resets cross in both directions: a cancelled call cancels upstream, an upstream reset resets the client.
      request.on('close', () => {
        if (!stream.closed && request.rstCode !== undefined && request.rstCode !== NGHTTP2_NO_ERROR)
          stream.close(request.rstCode);
      });
      stream.on('close', () => {
        if (!request.closed)
          request.close(stream.rstCode && stream.rstCode !== NGHTTP2_NO_ERROR ? stream.rstCode : NGHTTP2_CANCEL);
      });
      request.write(buffered);
      if (ended) request.end();
      else stream.pipe(request);
    }

    function onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
      const method = String(headers[':path']);
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      // Buffered until the whole first message is in: a 5-byte prefix (compressed flag, length), then the message.
      const firstMessageLength = () => (size >= 5 ? 5 + Buffer.concat(chunks).readUInt32BE(1) : Infinity);
      const settle = (ended: boolean) => {
        if (done) return;
        done = true;
        stream.off('data', onData);
        stream.off('end', onEnd);
        stream.pause();
        const buffered = Buffer.concat(chunks);
        const failed = decide(member, service, method, buffered, headers);
        if (failed === undefined) return forward(stream, headers, buffered, ended);
        const denial =
          typeof failed === 'string'
            ? { permission: '', resource: '', text: failed }
            : {
                ...failed,
                text: `Permission '${failed.permission}' denied on resource '${failed.resource}' (or it may not exist).`,
              };
        const refused = { member, method, permission: denial.permission, resource: denial.resource, at: new Date() };
        denials.push(refused);
        options.onDenial?.(refused);
        refuse(stream, PERMISSION_DENIED, denial.text);
      };
      const onData = (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= firstMessageLength()) settle(false);
      };
      const onEnd = () => settle(true);
      stream.on('data', onData);
      stream.on('end', onEnd);
      // A client's reset ends the call through 'close' (see forward); the error event itself needs no handling.
      stream.on('error', () => {});
    }

    const server = http2.createServer();
    server.on('session', (s) => {
      serverSessions.add(s);
      s.on('close', () => serverSessions.delete(s));
    });
    server.on('stream', onStream);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      // Loopback only: the listener grants an identity to whoever connects.
      server.listen(0, '127.0.0.1', () =>
        resolve({ server, host: `127.0.0.1:${(server.address() as AddressInfo).port}` }),
      );
    });
  }

  return {
    denials,
    async hostFor(member, service) {
      const upstream = options.upstreams[service];
      if (!upstream) throw new Error(`the IAM gateway has no upstream for ${service}`);
      const key = `${member} ${service}`;
      let listener = listeners.get(key);
      if (!listener) {
        listener = listen(member, service, upstream);
        listeners.set(key, listener);
      }
      return (await listener).host;
    },
    async stop() {
      const servers = await Promise.all(listeners.values());
      for (const s of [...serverSessions, ...upstreamSessions]) s.destroy();
      await Promise.all(servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))));
    },
  };
}
