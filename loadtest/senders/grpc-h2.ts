import http2, { type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import net from 'node:net';
import { Deadlines, timeoutFailure } from './deadlines.js';
import { grpcConnectError, grpcResult } from './grpc-outcome.js';
import { frame, grpcHeaders } from './grpc-wire.js';
import { keepsReply, type ReplyCheck } from './reply-check.js';
import type { SendResult, Sender } from './sender.js';
import { channelAddresses, type Target } from './target.js';

export interface GrpcSenderOptions {
  readonly target: Target;
  /** '/tensorflow.serving.PredictionService/Predict' */
  readonly path: string;
  /** The serialized request message, framed once and sent as is every time. */
  readonly message: Uint8Array;
  readonly channels: number;
  readonly timeoutMs: number;
  /** Keep every reply's message in the result (the pre-flight check). */
  readonly keepReply?: boolean;
  readonly replyCheck?: ReplyCheck;
}

// Large windows and session memory: a 602 KB Predict times hundreds in flight must not stall on flow control.
const WINDOW = 64 * 1024 * 1024;
/** How long close() lets the server take the GOAWAY before the sessions are destroyed. */
const CLOSE_GRACE_MS = 1000;

/** Each session's own socket: closing a session waits for the server's FIN, which a stuck server never sends. */
const sockets = new WeakMap<ClientHttp2Session, net.Socket>();

function openSession(address: string, port: number): ClientHttp2Session {
  const host = address.includes(':') ? `[${address}]` : address;
  const socket = net.connect({ host: address, port });
  const session = http2.connect(`http://${host}:${port}`, {
    createConnection: () => socket,
    settings: { initialWindowSize: WINDOW, enablePush: false },
    maxSessionMemory: 4096,
  });
  sockets.set(session, socket);
  return session;
}

/**
 * Opens an HTTP/2 session and waits for the server's first SETTINGS, within `timeoutMs`, or fails with a message
 * naming the target. node:http2's 'connect' comes with the TCP connection: a server that accepts and never speaks
 * HTTP/2 would pass it, and every call on the session would then wait for nothing.
 */
function connect(address: string, target: Target, timeoutMs: number): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = openSession(address, target.port);
    // ETIMEDOUT, as the kernel's own connect timeout: a connection never made, which the first call retries.
    const noSettings = `no HTTP/2 SETTINGS from the server within ${timeoutMs} ms`;
    const timer = setTimeout(() => settle(Object.assign(new Error(noSettings), { code: 'ETIMEDOUT' })), timeoutMs);
    const onSettings = (): void => settle();
    const onClose = (): void => settle(new Error('the server closed the connection'));
    function settle(err?: Error): void {
      clearTimeout(timer);
      session.off('remoteSettings', onSettings).off('error', settle).off('close', onClose);
      if (err) {
        session.destroy();
        reject(grpcConnectError(target, address, err));
        return;
      }
      session.on('error', () => undefined); // a broken session is replaced on the next send
      session.setLocalWindowSize(WINDOW);
      resolve(session);
    }
    session.once('remoteSettings', onSettings).once('error', settle).once('close', onClose);
  });
}

/** Closes a session with a GOAWAY, and its socket if the server has not let it go within CLOSE_GRACE_MS. */
function closeSession(session: ClientHttp2Session): Promise<void> {
  const socket = sockets.get(session)!;
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once('close', () => resolve());
    session.close();
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  });
}

/** gRPC unary calls framed by hand over node:http2 (`--h2 node`), round-robin over `channels` sessions. */
export async function createGrpcSender(options: GrpcSenderOptions): Promise<Sender> {
  const { target, timeoutMs, replyCheck } = options;
  const addresses = await channelAddresses(target, options.channels);
  const settled = await Promise.allSettled(addresses.map((address) => connect(address, target, timeoutMs)));
  const sessions = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    // The channels that did connect would keep the process alive: close them before failing.
    await Promise.all(sessions.map(closeSession));
    throw failed.reason;
  }
  const body = frame(options.message);
  const headers: OutgoingHttpHeaders = Object.fromEntries(grpcHeaders(options.path, target.authority, timeoutMs));
  const deadlines = new Deadlines(timeoutMs);
  let next = 0;
  let sent = 0;

  const session = (i: number): ClientHttp2Session => {
    const current = sessions[i]!;
    if (!current.closed && !current.destroyed) return current;
    const fresh = openSession(addresses[i]!, target.port);
    fresh.on('error', () => undefined);
    sessions[i] = fresh;
    return fresh;
  };

  const send = (): Promise<SendResult> =>
    new Promise((resolve) => {
      const channel = next;
      next = (next + 1) % sessions.length;
      sent += 1;
      const keep = keepsReply(options.keepReply, replyCheck, sent);
      const chunks: Buffer[] = [];
      let received = 0;
      let httpStatus = 0;
      let grpcStatus: unknown;
      let grpcMessage: unknown;
      let failure: { code: string; message: string } | undefined;
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session(channel).request(headers, { endStream: false });
      } catch (err) {
        resolve({ ok: false, code: 'connection', message: (err as Error).message, bytesSent: 0, bytesReceived: 0 });
        return;
      }
      const cancel = deadlines.add(() => {
        failure = timeoutFailure(timeoutMs);
        stream.close(http2.constants.NGHTTP2_CANCEL);
      });
      const status = (h: http2.IncomingHttpHeaders): void => {
        if (h['grpc-status'] !== undefined) {
          grpcStatus = h['grpc-status'];
          grpcMessage = h['grpc-message'];
        }
      };
      stream.on('response', (h) => {
        httpStatus = Number(h[':status']);
        status(h);
      });
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (keep) chunks.push(chunk);
      });
      stream.on('trailers', status);
      stream.on('error', (err: NodeJS.ErrnoException) => {
        failure ??= { code: 'connection', message: `${err.code ?? 'error'}: ${err.message}` };
      });
      stream.on('close', () => {
        cancel();
        resolve(result());
      });
      stream.end(body);

      const result = (): SendResult =>
        grpcResult(
          {
            failure,
            httpStatus,
            grpcStatus,
            grpcMessage,
            chunks: keep ? chunks : undefined,
            bytesSent: body.length,
            bytesReceived: received,
          },
          replyCheck,
        );
    });

  return {
    send,
    async close() {
      deadlines.close();
      await Promise.all(sessions.map(closeSession));
    },
  };
}
