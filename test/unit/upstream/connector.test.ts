import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { createConnector, type UpstreamTarget } from '../../../src/upstream/connector.js';
import { GatewayError } from '../../../src/errors.js';
import { KEEPALIVE_DELAY_MS } from '../../../src/upstream/tcp-keepalive.js';
import { Cancellation } from '../../../src/upstream/cancellation.js';
import { testPki } from '../../helpers/pki.js';
import { countingResolver } from '../../helpers/resolver.js';
import { WAIT_MS, event, withDeadline } from '../../helpers/deadline.js';
import { manualTimer } from '../../helpers/fake-timers.js';
import { kernelTimer, linuxOnly } from '../../helpers/kernel-timer.js';

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await event(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

async function close(server: net.Server): Promise<void> {
  server.close();
  await event(server, 'close');
}

/**
 * Keeps server-side sockets from failing a test when the client resets them, and reads them so that they see the
 * client's FIN or reset and close: server.close() waits for them, and an unread idle socket keeps no event-loop
 * handle active, so the test would end with that promise pending.
 */
function tolerate(socket: net.Socket): void {
  socket.on('error', () => {});
  socket.resume();
}

function tcp(port: number, extra: Partial<UpstreamTarget> = {}): UpstreamTarget {
  return { uri: `tcp://127.0.0.1:${port}`, scheme: 'tcp', host: '127.0.0.1', port, ...extra };
}

function ssl(port: number, options: tls.ConnectionOptions, extra: Partial<UpstreamTarget> = {}): UpstreamTarget {
  return { uri: `ssl://127.0.0.1:${port}`, scheme: 'ssl', host: '127.0.0.1', port, tls: options, ...extra };
}


async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await withDeadline(p, WAIT_MS, 'the connect to settle');
  } catch (e) {
    assert.ok(e instanceof GatewayError, `expected a GatewayError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the promise to reject');
}

test('tcp://: resolves with a connected socket that carries bytes both ways', async () => {
  const server = net.createServer((s) => {
    tolerate(s);
    s.pipe(s);
  });
  const port = await listen(server);
  const timer = manualTimer();
  const socket = await createConnector({ setTimer: timer.setTimer })(tcp(port));
  assert.equal(socket.remotePort, port);
  assert.deepEqual(timer.delays, [10_000], 'default connect timeout is 10 s');
  assert.ok(timer.cancelled(), 'the timeout is cancelled once connected');
  socket.write('ping');
  const [echoed] = (await event(socket, 'data')) as [Buffer];
  assert.equal(echoed.toString(), 'ping');
  socket.end();
  await event(socket, 'close');
  await close(server);
});

test('tcp://: binds the local address given as localAddress (tcp.bind)', async () => {
  const server = net.createServer((s) => {
    tolerate(s);
    s.end();
  });
  const port = await listen(server);
  const socket = await createConnector()(tcp(port, { localAddress: '127.0.0.1', connectTimeoutMs: 5000 }));
  assert.equal(socket.localAddress, '127.0.0.1');
  // tcp:// sockets stay half-open after the backend's FIN, until the copy loop (here: the test) ends them too.
  socket.on('end', () => socket.end());
  socket.resume();
  await event(socket, 'close');
  await close(server);
});

test('tcp://: a refused connection rejects with GW_ERR_UPSTREAM_CONNECT naming the URI and ECONNREFUSED', async () => {
  const server = net.createServer();
  const port = await listen(server);
  await close(server);
  const err = await rejection(createConnector()(tcp(port)));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.equal(err.message, `Connection to tcp://127.0.0.1:${port} failed: ECONNREFUSED`);
  assert.equal((err.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
});

test('tcp:// and ssl://: a host name is looked up once for many connects (tcp.resolve.ttl)', async () => {
  const pki = testPki();
  const plain = net.createServer((s) => {
    tolerate(s);
    s.end();
  });
  const secure = tlsServer();
  const [plainPort, securePort] = [await listen(plain), await listen(secure)];
  const { resolver, lookups } = countingResolver();
  const targets: UpstreamTarget[] = [
    { uri: `tcp://backend.test:${plainPort}`, scheme: 'tcp', host: 'backend.test', port: plainPort, addresses: resolver.forHost('backend.test', 30_000) },
    // With a local address, net asks for one address rather than all of them: the same lookup answers both.
    { uri: `tcp://backend.test:${plainPort}`, scheme: 'tcp', host: 'backend.test', port: plainPort, localAddress: '127.0.0.1', addresses: resolver.forHost('backend.test', 30_000) },
    // The certificate is checked against the name, not the address it was resolved to.
    { uri: `ssl://localhost:${securePort}`, scheme: 'ssl', host: 'localhost', port: securePort, tls: { ca: pki.ca.cert }, addresses: resolver.forHost('localhost', 30_000) },
  ];
  const connect = createConnector();
  for (let round = 0; round < 3; round++) {
    for (const target of targets) {
      const socket = await connect(target);
      assert.equal(socket.remoteAddress, '127.0.0.1');
      socket.destroy();
    }
  }
  assert.deepEqual(lookups, ['backend.test', 'localhost'], 'one lookup per name');
  await Promise.all([close(plain), close(secure)]);
});

test('a connect that fails before TCP is up forgets the name; one called off by the client does not', async () => {
  const server = net.createServer();
  const port = await listen(server);
  await close(server);
  const { resolver, lookups } = countingResolver();
  const target: UpstreamTarget = { uri: `tcp://backend.test:${port}`, scheme: 'tcp', host: 'backend.test', port, addresses: resolver.forHost('backend.test', 30_000) };
  const connect = createConnector();
  assert.equal((await rejection(connect(target))).code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.equal(resolver.size, 0, 'forgotten after ECONNREFUSED');
  assert.equal((await rejection(connect(target))).code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.deepEqual(lookups, ['backend.test', 'backend.test']);

  const listening = net.createServer((s) => tolerate(s));
  const open = { ...target, port: await listen(listening) };
  (await connect(open)).destroy();
  assert.equal(resolver.size, 1);
  const cancellation = new Cancellation();
  const pending = connect(open, cancellation);
  cancellation.cancel(new Error('the client left'));
  assert.equal((await rejection(pending)).code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.equal(resolver.size, 1, 'kept: the backend did nothing wrong');
  await close(listening);
});

test('tcp://: an unknown host rejects with GW_ERR_UPSTREAM_CONNECT', async () => {
  const target: UpstreamTarget = { uri: 'tcp://no-such-host.invalid:5000', scheme: 'tcp', host: 'no-such-host.invalid', port: 5000 };
  const err = await rejection(createConnector()(target));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.match(err.message, /^Connection to tcp:\/\/no-such-host\.invalid:5000 failed: /);
  assert.ok(err.cause instanceof Error);
});

test('tcp://: a connect that outlives connectTimeoutMs rejects and destroys the socket', async () => {
  const server = net.createServer(tolerate);
  const port = await listen(server);
  const timer = manualTimer();
  const pending = createConnector({ setTimer: timer.setTimer })(tcp(port, { connectTimeoutMs: 1234 }));
  assert.deepEqual(timer.delays, [1234]);
  // TCP connects complete on a later turn of the event loop, so firing now times out the TCP phase.
  timer.fire();
  const err = await rejection(pending);
  assert.equal(err.code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.equal(err.message, `Connection to tcp://127.0.0.1:${port} timed out after 1234 ms`);
  await close(server);
});

/** A cancellation already cancelled with `reason`. */
function cancelled(reason: unknown): Cancellation {
  const c = new Cancellation();
  c.cancel(reason);
  return c;
}

test('an already cancelled connect rejects without connecting', async () => {
  const server = net.createServer();
  let connections = 0;
  server.on('connection', () => connections++);
  const port = await listen(server);
  const reason = new Error('shutting down');
  const err = await rejection(createConnector()(tcp(port), cancelled(reason)));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.equal(err.message, `Connection to tcp://127.0.0.1:${port} aborted`);
  assert.equal(err.cause, reason);
  await close(server);
  assert.equal(connections, 0);
});

test('cancelling during the TLS handshake destroys the socket and rejects', async () => {
  // A TCP server that never answers the ClientHello keeps the handshake pending for as long as the test wants.
  const server = net.createServer();
  const port = await listen(server);
  const cancellation = new Cancellation();
  // The test PKI is made before the wait starts: making it is slow on a loaded machine.
  const ca = testPki().ca.cert;
  const serverSide = event(server, 'connection') as Promise<[net.Socket]>;
  const pending = createConnector()(ssl(port, { ca }), cancellation);
  const [peer] = await serverSide;
  const hello = event(peer, 'data');
  tolerate(peer);
  await hello; // the ClientHello: TCP is up on both ends
  const peerClosed = event(peer, 'close');
  cancellation.cancel();
  const err = await rejection(pending);
  assert.equal(err.code, 'GW_ERR_UPSTREAM_CONNECT');
  assert.match(err.message, /aborted$/);
  await peerClosed;
  await close(server);
});

test('ssl://: a handshake that outlives connectTimeoutMs rejects with GW_ERR_UPSTREAM_TLS', async () => {
  const server = net.createServer();
  const port = await listen(server);
  const timer = manualTimer();
  const ca = testPki().ca.cert;
  const serverSide = event(server, 'connection') as Promise<[net.Socket]>;
  const pending = createConnector({ setTimer: timer.setTimer })(ssl(port, { ca }));
  const [peer] = await serverSide;
  const hello = event(peer, 'data');
  tolerate(peer);
  await hello;
  const peerClosed = event(peer, 'close');
  timer.fire();
  const err = await rejection(pending);
  assert.equal(err.code, 'GW_ERR_UPSTREAM_TLS');
  assert.equal(err.message, `TLS handshake with ssl://127.0.0.1:${port} timed out after 10000 ms`);
  await peerClosed;
  await close(server);
});

function tlsServer(): tls.Server {
  const pki = testPki();
  const server = tls.createServer({ key: pki.server.key, cert: pki.server.cert }, (s) => {
    tolerate(s);
    s.pipe(s);
  });
  server.on('tlsClientError', () => {});
  return server;
}

test('ssl://: resolves after a verified handshake, sending the host name as SNI', async () => {
  const server = tlsServer();
  const port = await listen(server);
  const names: (string | false | null)[] = [];
  server.on('secureConnection', (s: tls.TLSSocket) => names.push(s.servername));
  const target: UpstreamTarget = { uri: `ssl://localhost:${port}`, scheme: 'ssl', host: 'localhost', port, tls: { ca: testPki().ca.cert } };
  const socket = (await createConnector()(target)) as tls.TLSSocket;
  assert.ok(socket instanceof tls.TLSSocket);
  assert.equal(socket.authorized, true);
  socket.write('hello');
  const [echoed] = (await event(socket, 'data')) as [Buffer];
  assert.equal(echoed.toString(), 'hello');
  assert.deepEqual(names, ['localhost']);
  socket.end();
  await event(socket, 'close');
  await close(server);
});

test('ssl://: after the backend ends its side, what the client still sends reaches it (half-open, as tcp://)', async () => {
  const pki = testPki();
  const received: Buffer[] = [];
  const got = new Promise<string>((resolve) => {
    const server = tls.createServer({ key: pki.server.key, cert: pki.server.cert, allowHalfOpen: true }, (s) => {
      tolerate(s);
      s.end('banner');
      s.on('data', (d: Buffer) => received.push(d));
      s.on('end', () => {
        resolve(Buffer.concat(received).toString());
        void close(server);
      });
    });
    void listen(server).then(async (port) => {
      const socket = await createConnector()({ uri: `ssl://localhost:${port}`, scheme: 'ssl', host: 'localhost', port, tls: { ca: pki.ca.cert } });
      socket.resume();
      await event(socket, 'end', 'the backend to end its side');
      socket.end('after the banner');
    });
  });
  assert.equal(await withDeadline(got, WAIT_MS, 'the backend to receive what was sent after its FIN'), 'after the banner');
});

test('ssl://: a certificate that does not chain to the trusted CA is GW_ERR_UPSTREAM_TLS naming the reason', async () => {
  const server = tlsServer();
  const port = await listen(server);
  const err = await rejection(createConnector()(ssl(port, { ca: testPki().otherCa.cert })));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_TLS');
  assert.match(err.message, new RegExp(`^TLS handshake with ssl://127\\.0\\.0\\.1:${port} failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE`));
  assert.equal((err.cause as NodeJS.ErrnoException).code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  assert.match(err.hint ?? '', /^import the CA that issued the backend's certificate into the truststore/);
  await close(server);
});

test('ssl://: a certificate for another name is GW_ERR_UPSTREAM_TLS (ERR_TLS_CERT_ALTNAME_INVALID)', async () => {
  const server = tlsServer();
  const port = await listen(server);
  const err = await rejection(createConnector()(ssl(port, { ca: testPki().ca.cert, servername: 'backend.example.com' })));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_TLS');
  assert.match(err.message, /failed: ERR_TLS_CERT_ALTNAME_INVALID/);
  assert.equal(err.hint, undefined, 'a trusted certificate for another name is no matter of the truststore');
  await close(server);
});

test('ssl://: a backend that does not speak TLS is GW_ERR_UPSTREAM_TLS', async () => {
  const server = net.createServer((s) => {
    tolerate(s);
    s.end('SSH-2.0-OpenSSH_9.6\r\n');
  });
  const port = await listen(server);
  const err = await rejection(createConnector()(ssl(port, { ca: testPki().ca.cert })));
  assert.equal(err.code, 'GW_ERR_UPSTREAM_TLS');
  assert.match(err.message, new RegExp(`^TLS handshake with ssl://127\\.0\\.0\\.1:${port} failed: `));
  await close(server);
});

/** The upstream socket's own timer, as the kernel runs it. */
function socketTimer(socket: net.Socket): { timer: number; seconds: number } {
  return kernelTimer(socket.localPort, socket.remotePort);
}

test('tcp:// and ssl://: the upstream socket has TCP keep-alive on, its first probe after 60 s idle', linuxOnly, async (t) => {
  const plain = net.createServer((s) => {
    tolerate(s);
    s.pipe(s);
  });
  const secure = tlsServer();
  const targets = [tcp(await listen(plain)), ssl(await listen(secure), { ca: testPki().ca.cert, servername: 'localhost' })];
  const sockets: net.Socket[] = [];
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await close(plain);
    await close(secure);
  });
  for (const target of targets) {
    const socket = await createConnector()(target);
    sockets.push(socket);
    socket.write('ping');
    await event(socket, 'data', `the echo from ${target.uri}`);
    const { timer, seconds } = socketTimer(socket);
    assert.equal(timer, 2, `${target.uri}: the kernel runs the keep-alive timer on the upstream socket`);
    assert.ok(seconds > KEEPALIVE_DELAY_MS / 1000 - 10 && seconds <= KEEPALIVE_DELAY_MS / 1000, `${target.uri}: first probe in ${seconds} s`);
  }
});

test('the keep-alive check tells a socket without keep-alive apart', linuxOnly, async (t) => {
  const server = net.createServer((s) => {
    tolerate(s);
    s.pipe(s);
  });
  const port = await listen(server);
  const socket = net.connect(port, '127.0.0.1');
  t.after(async () => {
    socket.destroy();
    await close(server);
  });
  await event(socket, 'connect');
  socket.write('ping');
  await event(socket, 'data', 'the echo');
  assert.equal(socketTimer(socket).timer, 0);
});

test('ssl://: a TLS failure after TCP is up keeps the name resolved: the backend is where the name says', async () => {
  const server = tlsServer();
  const port = await listen(server);
  const { resolver, lookups } = countingResolver();
  const target = ssl(port, { ca: testPki().otherCa.cert }, { uri: `ssl://localhost:${port}`, host: 'localhost', addresses: resolver.forHost('localhost', 30_000) });
  const connect = createConnector();
  assert.equal((await rejection(connect(target))).code, 'GW_ERR_UPSTREAM_TLS');
  assert.equal((await rejection(connect(target))).code, 'GW_ERR_UPSTREAM_TLS');
  assert.deepEqual(lookups, ['localhost']);
  assert.equal(resolver.size, 1);
  await close(server);
});
