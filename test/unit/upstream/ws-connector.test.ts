import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type tls from 'node:tls';
import { once } from 'node:events';
import WebSocket, { WebSocketServer, type ServerOptions } from 'ws';
import {
  createWebSocketConnector,
  type WebSocketTarget,
  type WebSocketUpgrade,
} from '../../../src/upstream/ws-connector.js';
import { GatewayError } from '../../../src/errors.js';
import { refuseUpgrade } from '../../../src/listener/http-response.js';
import { Cancellation } from '../../../src/upstream/cancellation.js';
import { prepareClientTls } from '../../../src/tls/client.js';
import { testPki } from '../../helpers/pki.js';
import { countingResolver } from '../../helpers/resolver.js';
import { keyEntry, keyStore, trustStore } from '../../helpers/tls.js';
import { within } from '../../helpers/within.js';
import { manualTimer } from '../../helpers/fake-timers.js';

/** Runs `fn` the first time only; later calls get the same promise. Cleanup runs from the test and from t.after. */
function onlyOnce(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

interface Listening {
  readonly port: number;
  /** Closes the server and every connection it has; also run after the test, so a failed test leaves nothing. */
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:0; closing destroys the connections (for TLS servers, see backend()). */
async function listen(t: TestContext, server: net.Server, beforeClose: () => void = () => {}): Promise<Listening> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await within(once(server, 'listening'), 'the server to listen');
  const close = onlyOnce(async () => {
    beforeClose();
    if (!(server instanceof https.Server)) for (const s of sockets) s.destroy();
    const closed = once(server, 'close');
    server.close();
    await within(closed, 'the server to close');
  });
  t.after(close);
  return { port: (server.address() as net.AddressInfo).port, close };
}

interface Backend {
  readonly port: number;
  readonly wss: WebSocketServer;
  /** The next upgrade the backend completes, with the request it came with. */
  nextConnection(): Promise<[WebSocket, http.IncomingMessage]>;
  close(): Promise<void>;
}

/** A `ws` server on 127.0.0.1:0, plain or (with `tlsOptions`) over HTTPS. */
async function backend(t: TestContext, wsOptions: ServerOptions = {}, tlsOptions?: tls.TlsOptions): Promise<Backend> {
  const server = tlsOptions ? https.createServer(tlsOptions) : http.createServer();
  server.on('tlsClientError', () => {});
  const wss = new WebSocketServer({ server, ...wsOptions });
  wss.on('connection', (ws) => ws.on('error', () => {}));
  // Only TLS sockets are destroyed for an HTTPS server: destroying the raw socket under a live TLSSocket crashes
  // Node 20. Upgraded ones are the WebSockets' sockets; the rest are HTTP connections.
  const { port, close } = await listen(t, server, () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    server.closeAllConnections();
  });
  return {
    port,
    wss,
    nextConnection: () => once(wss, 'connection') as Promise<[WebSocket, http.IncomingMessage]>,
    close,
  };
}

function wsTarget(port: number, extra: Partial<WebSocketTarget> = {}): WebSocketTarget {
  return { uri: `ws://127.0.0.1:${port}/x`, scheme: 'ws', host: '127.0.0.1', port, path: '/x', ...extra };
}

const NO_EXTRAS: WebSocketUpgrade = { headers: [], subprotocols: [], maxPayload: 64 * 1024 };

function upgrade(extra: Partial<WebSocketUpgrade> = {}): WebSocketUpgrade {
  return { ...NO_EXTRAS, ...extra };
}


async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await within(p, 'the connect to fail');
  } catch (e) {
    assert.ok(e instanceof GatewayError, `expected a GatewayError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the promise to reject');
}

async function closeClient(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  const closed = once(ws, 'close');
  ws.terminate();
  await within(closed, 'the WebSocket to close');
}

test('ws://: a host name is looked up once for many upgrades, and again after a refused connect (tcp.resolve.ttl)', async (t) => {
  const server = await backend(t);
  const { resolver, lookups } = countingResolver();
  const target = wsTarget(server.port, { uri: `ws://backend.test:${server.port}/x`, host: 'backend.test', addresses: resolver.forHost('backend.test', 30_000) });
  const connect = createWebSocketConnector();
  for (let i = 0; i < 3; i++) {
    const accepted = server.nextConnection();
    const { websocket } = await within(connect(target, upgrade()), 'the upgrade to succeed');
    const [, request] = await within(accepted, 'the backend to accept the upgrade');
    // The Host header names the backend as configured, not the address it resolved to.
    assert.equal(request.headers.host, `backend.test:${server.port}`);
    await closeClient(websocket);
  }
  assert.deepEqual(lookups, ['backend.test']);
  await server.close();
  assert.equal((await rejection(connect(target, upgrade()))).code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.equal(resolver.size, 0, 'forgotten after the refused connect');
  assert.equal((await rejection(connect(target, upgrade()))).code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.deepEqual(lookups, ['backend.test', 'backend.test'], 'the next connect looked it up again');
});

test('ws://: resolves once upgraded, with the path, no compression, and messages both ways', async (t) => {
  const server = await backend(t);
  const timer = manualTimer();
  const accepted = server.nextConnection();
  const { websocket, protocol } = await within(createWebSocketConnector({ setTimer: timer.setTimer })(wsTarget(server.port), upgrade()), 'the upgrade to succeed');
  const [peer, request] = await within(accepted, 'the backend to accept the upgrade');
  assert.equal(protocol, '');
  assert.equal(websocket.readyState, WebSocket.OPEN);
  assert.equal(request.url, '/x');
  assert.equal(request.headers.host, `127.0.0.1:${server.port}`);
  assert.equal(request.headers['sec-websocket-extensions'], undefined, 'permessage-deflate is not offered');
  assert.equal(request.headers['sec-websocket-protocol'], undefined, 'no subprotocol is offered');
  assert.deepEqual(timer.delays, [10_000], 'default connect timeout is 10 s');
  assert.ok(timer.cancelled(), 'the timeout is cancelled once upgraded');
  assert.equal(websocket.listenerCount('error'), 1, 'one no-op error listener stays');
  assert.equal(websocket.listenerCount('close'), 0);
  assert.equal(websocket.isPaused, true, 'paused until someone listens for its messages');

  peer.send('from backend');
  websocket.resume();
  const [data] = (await within(once(websocket, 'message'), 'the message from the backend')) as [Buffer];
  assert.equal(data.toString(), 'from backend');
  websocket.send('from gateway');
  const [back] = (await within(once(peer, 'message'), 'the message from the gateway')) as [Buffer];
  assert.equal(back.toString(), 'from gateway');
  await closeClient(websocket);
  await server.close();
});

test('ws://: headers are sent as given, a repeated name on lines of its own', async (t) => {
  const server = await backend(t);
  const accepted = server.nextConnection();
  const connecting = createWebSocketConnector()(
    wsTarget(server.port),
    upgrade({
      headers: [
        { name: 'X-Client-CN', value: 'device-1' },
        { name: 'X-Device', value: 'a' },
        { name: 'x-device', value: 'b' },
        { name: 'Origin', value: 'https://app.example.com' },
      ],
    }),
  );
  const { websocket } = await within(connecting, 'the upgrade to succeed');
  const [, request] = await within(accepted, 'the backend to accept the upgrade');
  assert.equal(request.headers['x-client-cn'], 'device-1');
  assert.equal(request.headers.origin, 'https://app.example.com');
  const lines: [string, string][] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) lines.push([request.rawHeaders[i] ?? '', request.rawHeaders[i + 1] ?? '']);
  assert.deepEqual(
    lines.filter(([name]) => name.toLowerCase() === 'x-device'),
    [
      ['X-Device', 'a'],
      ['X-Device', 'b'],
    ],
  );
  await closeClient(websocket);
  await server.close();
});

test('a header the handshake sets itself is refused before connecting', async (t) => {
  const server = await backend(t);
  let connections = 0;
  server.wss.on('connection', () => connections++);
  const err = await rejection(createWebSocketConnector()(wsTarget(server.port), upgrade({ headers: [{ name: 'Sec-WebSocket-Key', value: 'x' }] })));
  assert.equal(err.code, 'GW_ERR_INTERNAL');
  assert.match(err.message, /"Sec-WebSocket-Key" is set by the WebSocket handshake itself/);
  await server.close();
  assert.equal(connections, 0);
});

test('a header value with a line break rejects with GW_ERR_UPSTREAM_CONNECT', async (t) => {
  const server = await backend(t);
  const err = await rejection(createWebSocketConnector()(wsTarget(server.port), upgrade({ headers: [{ name: 'X-A', value: 'a\r\nX-Injected: 1' }] })));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.match(err.message, /^Connection to ws:\/\/127\.0\.0\.1:\d+\/x failed: /);
  await server.close();
});

test('subprotocols: the one the backend chose is reported', async (t) => {
  const server = await backend(t, { handleProtocols: (offered) => (offered.has('v2.chat') ? 'v2.chat' : false) });
  const accepted = server.nextConnection();
  const { websocket, protocol } = await within(createWebSocketConnector()(wsTarget(server.port), upgrade({ subprotocols: ['v1.chat', 'v2.chat'] })), 'the upgrade to succeed');
  const [, request] = await within(accepted, 'the backend to accept the upgrade');
  assert.equal(request.headers['sec-websocket-protocol'], 'v1.chat, v2.chat');
  assert.equal(protocol, 'v2.chat');
  await closeClient(websocket);
  await server.close();
});

test('subprotocols: a backend may choose none of those offered (RFC 6455 §4.1), reported as ""', async (t) => {
  const server = await backend(t, { handleProtocols: () => false });
  const { websocket, protocol } = await within(createWebSocketConnector()(wsTarget(server.port), upgrade({ subprotocols: ['v1.chat'] })), 'the upgrade to succeed');
  assert.equal(protocol, '');
  assert.equal(websocket.readyState, WebSocket.OPEN);
  await closeClient(websocket);
  await server.close();
});

test('subprotocols: a choice that was not offered is GW_ERR_UPSTREAM_HANDSHAKE naming it', async (t) => {
  const server = await backend(t, { handleProtocols: () => 'mqtt' });
  const err = await rejection(createWebSocketConnector()(wsTarget(server.port), upgrade({ subprotocols: ['v1.chat', 'v2.chat'] })));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_HANDSHAKE');
  assert.equal(err.message, `ws://127.0.0.1:${server.port}/x chose subprotocol "mqtt", which was not offered (offered: v1.chat, v2.chat)`);
  await server.close();
});

/** A backend that answers every upgrade with a 101 it writes itself, plus `extra` header lines. */
async function rawUpgradeBackend(t: TestContext, extra: string): Promise<Listening> {
  const server = http.createServer();
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
    socket.on('error', () => {});
    // HTTP servers allow half-open sockets: this end closes when the client's does, so server.close() completes.
    socket.on('end', () => socket.end());
    socket.resume();
    const key = String(req.headers['sec-websocket-key']);
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${extra}\r\n`);
  });
  return listen(t, server);
}

test('subprotocols: a choice when none was offered is GW_ERR_UPSTREAM_HANDSHAKE', async (t) => {
  const server = await rawUpgradeBackend(t, 'Sec-WebSocket-Protocol: mqtt\r\n');
  const err = await rejection(createWebSocketConnector()(wsTarget(server.port), upgrade()));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_HANDSHAKE');
  assert.equal(err.message, `ws://127.0.0.1:${server.port}/x chose subprotocol "mqtt", which was not offered (none was offered)`);
  await server.close();
});

test('an extension the gateway did not offer is GW_ERR_UPSTREAM_HANDSHAKE', async (t) => {
  const server = await rawUpgradeBackend(t, 'Sec-WebSocket-Extensions: permessage-deflate\r\n');
  const err = await rejection(createWebSocketConnector()(wsTarget(server.port), upgrade()));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_HANDSHAKE');
  assert.match(err.message, /answered the upgrade with an invalid handshake: Server sent a Sec-WebSocket-Extensions header/);
  await server.close();
});

test('a backend that refuses the upgrade is GW_ERR_UPSTREAM_HANDSHAKE naming the status', async (t) => {
  const server = await backend(t, { verifyClient: (_info, done) => done(false, 403) });
  const err = await rejection(createWebSocketConnector()(wsTarget(server.port), upgrade()));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_HANDSHAKE');
  assert.equal(err.message, `ws://127.0.0.1:${server.port}/x answered the upgrade with 403 Forbidden`);
  await server.close();
});

/** An HTTP server that answers every upgrade with `answer(socket)` and keeps the socket until the client leaves. */
async function refusingBackend(t: TestContext, answer: (socket: net.Socket) => void): Promise<Listening> {
  const server = http.createServer();
  server.on('upgrade', (_req: http.IncomingMessage, socket: net.Socket) => {
    socket.on('error', () => {});
    socket.on('end', () => socket.end());
    socket.resume();
    answer(socket);
  });
  return listen(t, server);
}

test("a refusal's text/plain body is quoted in the error, sanitised and without the repeated status", async (t) => {
  // Answered as the gateway's own listener refuses a client certificate.
  const server = await refusingBackend(t, (socket) => refuseUpgrade(socket, 403, 'Forbidden: client certificate refused (CERT_HAS_EXPIRED).'));
  const err = await rejection(createWebSocketConnector()(wsTarget(server.port), upgrade()));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_HANDSHAKE');
  assert.equal(err.message, `ws://127.0.0.1:${server.port}/x answered the upgrade with 403 Forbidden: "client certificate refused (CERT_HAS_EXPIRED)."`);

  const noisy = await refusingBackend(t, (socket) =>
    socket.write(`HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\n\r\nno\r\n\u001b[2Jticket\t"x"${'.'.repeat(600)}`),
  );
  const cut = await rejection(createWebSocketConnector()(wsTarget(noisy.port), upgrade()));
  // The line breaks and the tab become spaces, the escape character goes, and 200 characters are kept.
  const kept = 'no [2Jticket "x"';
  assert.equal(cut.message, `ws://127.0.0.1:${noisy.port}/x answered the upgrade with 401 Unauthorized: ${JSON.stringify(`${kept}${'.'.repeat(200 - kept.length)}…`)}`);
  await Promise.all([server.close(), noisy.close()]);
});

test('a refusal whose text/plain body never ends fails at the connect deadline, with its status', async (t) => {
  const server = await refusingBackend(t, (socket) => socket.write('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nclient cert'));
  const began = Date.now();
  const err = await rejection(createWebSocketConnector()(wsTarget(server.port, { connectTimeoutMs: 1500 }), upgrade()));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_HANDSHAKE');
  assert.equal(err.message, `ws://127.0.0.1:${server.port}/x answered the upgrade with 403 Forbidden`);
  assert.ok(Date.now() - began >= 1400, 'the body was waited for until the deadline');
  await server.close();
});

test('a backend that answers the upgrade with something other than HTTP is told so', async (t) => {
  const server = await refusingBackend(t, (socket) => socket.write('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n'));
  const err = await rejection(createWebSocketConnector()(wsTarget(server.port), upgrade()));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.equal(err.message, `Connection to ws://127.0.0.1:${server.port}/x failed before the upgrade was answered: the answer is not HTTP (HPE_INVALID_CONSTANT): is a WebSocket server listening on that port?`);
  await server.close();
});

test('a refusal whose body is not text/plain is reported at once, its body unread', async (t) => {
  const server = await refusingBackend(t, (socket) => socket.write('HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n<html>'));
  const err = await rejection(createWebSocketConnector()(wsTarget(server.port, { connectTimeoutMs: 60_000 }), upgrade()));
  assert.equal(err.message, `ws://127.0.0.1:${server.port}/x answered the upgrade with 403 Forbidden`);
  await server.close();
});

test('a redirect is not followed: it is a refusal like any other status', async (t) => {
  const server = await listen(
    t,
    http.createServer((_req, res) => {
      res.writeHead(302, { Location: 'ws://127.0.0.1:1/elsewhere' }).end();
    }),
  );
  const err = await rejection(createWebSocketConnector()(wsTarget(server.port), upgrade()));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_HANDSHAKE');
  assert.equal(err.message, `ws://127.0.0.1:${server.port}/x answered the upgrade with 302 Found`);
  await server.close();
});

test('a refused connection is GW_ERR_UPSTREAM_CONNECT naming the URI and ECONNREFUSED', async () => {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await within(once(server, 'listening'), 'the server to listen');
  const port = (server.address() as net.AddressInfo).port;
  server.close();
  await within(once(server, 'close'), 'the server to close');
  const err = await rejection(createWebSocketConnector()(wsTarget(port), upgrade()));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.equal(err.message, `Connection to ws://127.0.0.1:${port}/x failed: ECONNREFUSED`);
  assert.equal((err.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
});

test('a backend that closes before answering is GW_ERR_UPSTREAM_CONNECT in the phase after connect', async (t) => {
  const server = await listen(
    t,
    net.createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => s.end());
    }),
  );
  const err = await rejection(createWebSocketConnector()(wsTarget(server.port), upgrade()));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.equal(err.message, `Connection to ws://127.0.0.1:${server.port}/x failed before the upgrade was answered: ECONNRESET`);
  await server.close();
});

/** A TCP server that reads and never answers: an attempt stays pending as long as the test wants. */
async function silentServer(t: TestContext): Promise<Listening & { requests: Promise<[net.Socket]> }> {
  const server = net.createServer();
  let gotRequest: (s: [net.Socket]) => void = () => {};
  const requests = new Promise<[net.Socket]>((resolve) => {
    gotRequest = resolve;
  });
  server.on('connection', (s) => {
    s.on('error', () => {});
    s.once('data', () => gotRequest([s]));
  });
  return { ...(await listen(t, server)), requests };
}

test('cancelling while the upgrade is unanswered closes the connection and rejects', async (t) => {
  const server = await silentServer(t);
  const cancellation = new Cancellation();
  const pending = createWebSocketConnector()(wsTarget(server.port), upgrade(), cancellation);
  const [peer] = await within(server.requests, 'the request to reach the backend');
  const peerClosed = once(peer, 'close');
  const reason = new Error('client went away');
  cancellation.cancel(reason);
  const err = await rejection(pending);
  assert.equal(err.code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.equal(err.message, `Connection to ws://127.0.0.1:${server.port}/x aborted`);
  assert.equal(err.cause, reason);
  await within(peerClosed, 'the backend end to close');
  await server.close();
});

test('an already cancelled connect rejects without connecting', async (t) => {
  let connections = 0;
  const server = await listen(t, net.createServer(() => connections++));
  const stopped = new Cancellation();
  stopped.cancel(new Error('stopping'));
  const err = await rejection(createWebSocketConnector()(wsTarget(server.port), upgrade(), stopped));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.match(err.message, /aborted$/);
  await server.close();
  assert.equal(connections, 0);
});

test('timeout: before TCP is up, and while the upgrade is unanswered, naming the phase', async (t) => {
  const server = await silentServer(t);
  const early = manualTimer();
  // TCP connects complete on a later turn of the event loop, so firing now times out the TCP phase.
  const first = createWebSocketConnector({ setTimer: early.setTimer })(wsTarget(server.port, { connectTimeoutMs: 1234 }), upgrade());
  assert.deepEqual(early.delays, [1234]);
  early.fire();
  const tcpErr = await rejection(first);
  assert.equal(tcpErr.code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.equal(tcpErr.message, `Connection to ws://127.0.0.1:${server.port}/x timed out after 1234 ms`);

  const late = manualTimer();
  const second = createWebSocketConnector({ setTimer: late.setTimer })(wsTarget(server.port), upgrade());
  const [peer] = await within(server.requests, 'the request to reach the backend');
  const peerClosed = once(peer, 'close');
  late.fire();
  const upgradeErr = await rejection(second);
  assert.equal(upgradeErr.code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.equal(upgradeErr.message, `Connection to ws://127.0.0.1:${server.port}/x timed out after 10000 ms: the upgrade was not answered`);
  await within(peerClosed, 'the backend end to close');
  await server.close();
});

test('a message the backend sends with its 101 is kept for whoever takes the WebSocket', async (t) => {
  const server = await backend(t);
  // Sent as soon as the backend has the connection: it may travel in the same packet as the 101.
  server.wss.on('connection', (peer: WebSocket) => peer.send('greeting'));
  for (let i = 0; i < 10; i++) {
    const { websocket } = await within(createWebSocketConnector()(wsTarget(server.port), upgrade()), 'the upgrade to succeed');
    // Taken a moment later, as the proxy takes it once the client's side is ready.
    await new Promise((resolve) => setImmediate(resolve));
    const message = once(websocket, 'message') as Promise<[Buffer]>;
    websocket.resume();
    const [data] = await within(message, 'the greeting');
    assert.equal(data.toString(), 'greeting');
    await closeClient(websocket);
  }
  await server.close();
});

test('maxPayload: a larger message from the backend closes the WebSocket with 1009', async (t) => {
  const server = await backend(t);
  const accepted = server.nextConnection();
  const { websocket } = await within(createWebSocketConnector()(wsTarget(server.port), upgrade({ maxPayload: 16 })), 'the upgrade to succeed');
  const [peer] = await within(accepted, 'the backend to accept the upgrade');
  // Not events.once on the gateway's side: it rejects on the 'error' that reports the oversized message.
  const closed = new Promise<void>((resolve) => websocket.once('close', () => resolve()));
  const told = once(peer, 'close') as Promise<[number, Buffer]>;
  websocket.resume();
  peer.send(Buffer.alloc(17));
  await within(closed, 'the WebSocket to close');
  const [code] = await within(told, 'the backend to be told why');
  assert.equal(code, 1009);
  await server.close();
});

function tlsBackendOptions(extra: tls.TlsOptions = {}): tls.TlsOptions {
  const { server } = testPki();
  return { key: server.key, cert: server.cert, ...extra };
}

function wssTarget(port: number, tlsOptions: tls.ConnectionOptions): WebSocketTarget {
  return { uri: `wss://localhost:${port}/x`, scheme: 'wss', host: '127.0.0.1', port, path: '/x', tls: tlsOptions };
}

test('wss://: verifies the backend with the prepared options, sends SNI, and presents the chosen key entry', async (t) => {
  const { ca, client, client2 } = testPki();
  const server = await backend(t, {}, tlsBackendOptions({ requestCert: true, rejectUnauthorized: true, ca: [ca.cert] }));
  const prepared = prepareClientTls({
    host: 'localhost',
    truststore: trustStore(ca),
    keystore: keyStore(keyEntry('device-1', client, ca), keyEntry('device-2', client2, ca)),
    alias: 'device-2',
    ciphers: undefined,
    protocols: undefined,
  });
  const accepted = server.nextConnection();
  const { websocket } = await within(createWebSocketConnector()(wssTarget(server.port, prepared.options), upgrade()), 'the upgrade to succeed');
  const [, request] = await within(accepted, 'the backend to accept the upgrade');
  const serverSide = request.socket as tls.TLSSocket;
  assert.equal(serverSide.servername, 'localhost');
  assert.equal(serverSide.getPeerCertificate().subject.CN, 'device-2');
  assert.equal(serverSide.authorized, true);
  await closeClient(websocket);
  await server.close();
});

test('wss://: a backend certificate from an untrusted CA is GW_ERR_UPSTREAM_TLS naming the reason', async (t) => {
  const server = await backend(t, {}, tlsBackendOptions());
  let connections = 0;
  server.wss.on('connection', () => connections++);
  const prepared = prepareClientTls({ host: 'localhost', truststore: trustStore(testPki().otherCa), keystore: undefined, ciphers: undefined, protocols: undefined });
  const err = await rejection(createWebSocketConnector()(wssTarget(server.port, prepared.options), upgrade()));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_TLS');
  assert.match(err.message, new RegExp(`^TLS handshake with wss://localhost:${server.port}/x failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE`));
  assert.equal((err.cause as NodeJS.ErrnoException).code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  assert.match(err.hint ?? '', /^import the CA that issued the backend's certificate into the truststore/);
  await server.close();
  assert.equal(connections, 0, 'no upgrade request was sent');
});

test('wss://: a backend that requires a client certificate the gateway does not present is GW_ERR_UPSTREAM_TLS with a hint', async (t) => {
  const { ca } = testPki();
  const server = await backend(t, {}, tlsBackendOptions({ requestCert: true, rejectUnauthorized: true, ca: [ca.cert] }));
  const prepared = prepareClientTls({ host: 'localhost', truststore: trustStore(ca), keystore: undefined, ciphers: undefined, protocols: undefined });
  // TLS 1.3: the backend's refusal comes after the gateway's side of the handshake is done, while its upgrade waits.
  const err = await rejection(createWebSocketConnector()(wssTarget(server.port, prepared.options), upgrade()));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_TLS');
  assert.match(err.message, new RegExp(`^TLS handshake with wss://localhost:${server.port}/x failed: ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED`));
  assert.match(err.hint ?? '', /^the backend requires a client certificate: .*gateway connect --keystore/);
  await server.close();
});

test('wss://: a handshake that outlives the timeout is GW_ERR_UPSTREAM_TLS', async (t) => {
  // A TCP server that never answers the ClientHello keeps the handshake pending.
  const server = await silentServer(t);
  const timer = manualTimer();
  const prepared = prepareClientTls({ host: 'localhost', truststore: trustStore(testPki().ca), keystore: undefined, ciphers: undefined, protocols: undefined });
  const pending = createWebSocketConnector({ setTimer: timer.setTimer })(wssTarget(server.port, prepared.options), upgrade());
  const [peer] = await within(server.requests, 'the request to reach the backend'); // the ClientHello: TCP is up on both ends
  const peerClosed = once(peer, 'close');
  timer.fire();
  const err = await rejection(pending);
  assert.equal(err.code, 'GW_ERR_UPSTREAM_TLS');
  assert.equal(err.message, `TLS handshake with wss://localhost:${server.port}/x timed out after 10000 ms`);
  await within(peerClosed, 'the backend end to close');
  await server.close();
});

test('ws://: a backend that refuses the upgrade, or a client that leaves mid-connect, keeps the name resolved', async (t) => {
  const refusing = await refusingBackend(t, (socket) => refuseUpgrade(socket, 403, 'Forbidden: go away.'));
  const { resolver, lookups } = countingResolver();
  const target = wsTarget(refusing.port, { uri: `ws://backend.test:${refusing.port}/x`, host: 'backend.test', addresses: resolver.forHost('backend.test', 30_000) });
  const connect = createWebSocketConnector();
  assert.equal((await rejection(connect(target, upgrade()))).code, 'GW_ERR_UPSTREAM_HANDSHAKE');
  assert.equal(resolver.size, 1, 'the backend was reached: its name is right');
  // Called off before TCP is up (the cached answer comes a tick later): no fault of the backend's.
  const cancellation = new Cancellation();
  const pending = connect(target, upgrade(), cancellation);
  cancellation.cancel(new Error('client went away'));
  assert.equal((await rejection(pending)).code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.equal(resolver.size, 1);
  assert.deepEqual(lookups, ['backend.test']);
  await refusing.close();
});
