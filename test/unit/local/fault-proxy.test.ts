import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../../../local/fault-proxy.js';
import { listenOnLoopbackPort } from '../../../local/listen.js';
import { waitUntil } from '../../../local/wait-until.js';

/** The fault proxy in front of an echo server. */

let echo: Server;
let echoPort: number;
let proxy: FaultProxy;
/** Connections the echo server accepted in this test. */
let accepted = 0;
const clients: Socket[] = [];

beforeAll(async () => {
  echo = createServer((socket) => {
    accepted += 1;
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
  echoPort = await listenOnLoopbackPort(echo, 0);
});
afterAll(async () => {
  echo.close();
  await once(echo, 'close');
});
beforeEach(async () => {
  accepted = 0;
  proxy = await startFaultProxy({ upstreamHost: '127.0.0.1', upstreamPort: echoPort });
});
afterEach(async () => {
  for (const c of clients) c.destroy();
  clients.length = 0;
  await proxy.stop();
});

async function open(): Promise<Socket> {
  const socket = connect(proxy.port, '127.0.0.1');
  clients.push(socket);
  await once(socket, 'connect');
  return socket;
}

/** Writes `text` and waits for as much echo (it may come in pieces); the socket stays open. */
function roundTrip(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const onData = (chunk: Buffer) => {
      got += String(chunk);
      if (got.length < text.length) return;
      socket.off('data', onData);
      resolve(got);
    };
    socket.on('data', onData);
    socket.write(text);
  });
}

describe('startFaultProxy', () => {
  it('forwards both ways when passing', async () => {
    expect(await roundTrip(await open(), 'hello')).toBe('hello');
  });

  it('accepts a connection while hanging, forwards nothing, and forwards what it held once passing again', async () => {
    await proxy.mode('hang');
    const socket = await open();
    // The client is connected once the kernel accepts; the proxy takes the connection a moment later.
    await waitUntil('the proxy holding the connection', async () => proxy.held() === 1 || undefined, {
      timeoutMs: 5000,
      intervalMs: 5,
    });
    const echoed = roundTrip(socket, 'held');
    expect(accepted).toBe(0);
    await proxy.mode('pass');
    expect(await echoed).toBe('held');
    expect(proxy.held()).toBe(0);
  });

  it('holds open connections too when asked', async () => {
    const socket = await open();
    expect(await roundTrip(socket, 'before')).toBe('before');
    await proxy.mode('hang', { existing: true });
    expect(proxy.held()).toBe(1);
    const echoed = roundTrip(socket, 'during');
    await proxy.mode('pass');
    expect(proxy.held()).toBe(0);
    expect(await echoed).toBe('during');
  });

  it('refuses new connections, resets open ones when asked, and listens on the same port again', async () => {
    const reset = once(await open(), 'error') as Promise<[NodeJS.ErrnoException]>;
    await proxy.mode('refuse', { existing: true });
    expect((await reset)[0].code).toBe('ECONNRESET');
    const refused = connect(proxy.port, '127.0.0.1');
    clients.push(refused);
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');

    await proxy.mode('pass');
    expect(await roundTrip(await open(), 'back')).toBe('back');
  });
});
