import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import tls from 'node:tls';
import { Worker } from 'node:worker_threads';
import { WebSocketServer } from 'ws';
import { compileAccessRules } from '../../../src/auth/access.js';
import type { AcceptUri } from '../../../src/config/types.js';
import type { Listener, ListenerOptions } from '../../../src/listener/listener.js';
import { EchoService } from '../../../src/services/echo.js';
import { RedirectService } from '../../../src/services/redirect.js';
import { PrometheusMetrics } from '../../../src/metrics/prometheus.js';
import { prepareServerTls, type ServerTlsSettings } from '../../../src/tls/server.js';
import { memoryLog, type MemoryLog } from '../../helpers/memory-log.js';
import { startTestListener } from '../../helpers/test-listener.js';
import { issue, testPki, type Issued } from '../../helpers/pki.js';
import { serviceConfig } from '../../helpers/service-config.js';
import { keyEntry, keyStore, serverTlsSettings, trustStore } from '../../helpers/tls.js';
import { WAIT_MS, withDeadline } from '../../helpers/deadline.js';
import { kernelTimer, linuxOnly } from '../../helpers/kernel-timer.js';
import { KEEPALIVE_DELAY_MS } from '../../../src/upstream/tcp-keepalive.js';

const within = <T>(promise: Promise<T>, what: string): Promise<T> => withDeadline(promise, WAIT_MS, what);

/** Every wait here is bounded: a regression fails naming what it waited for. */

function acceptFor(host: string, path = '/echo', scheme: 'ws' | 'wss' = 'ws'): AcceptUri {
  return { uri: `${scheme}://${host}:0${path}`, scheme, host, port: 0, path, listen: { host: '127.0.0.1', port: 0 }, position: { file: 't.xml' } };
}

/** The value of gateway_refusals_total for one reason (and service, when given). */
async function refusals(metrics: PrometheusMetrics, reason: string, service?: string): Promise<number> {
  const values = (await metrics.registry.getSingleMetric('gateway_refusals_total')?.get())?.values ?? [];
  return values.filter((v) => v.labels['reason'] === reason && (service === undefined || v.labels['service'] === service)).reduce((n, v) => n + v.value, 0);
}

interface Rig {
  readonly listener: Listener;
  readonly port: number;
  readonly log: MemoryLog;
  readonly metrics: PrometheusMetrics;
}

async function start(t: { after(fn: () => unknown): void }, overrides: Partial<ListenerOptions> = {}, accepts = [acceptFor('127.0.0.1')]): Promise<Rig> {
  const log = memoryLog();
  const metrics = new PrometheusMetrics({ processMetrics: false });
  // Each accept's service is named after its host, and a second path of one host after that path too.
  const nameOf = (accept: AcceptUri): string => (accept.path === '/echo' ? `echo-${accept.host}` : `echo-${accept.host}${accept.path}`);
  const routes = accepts.map((accept) => ({
    accept,
    service: new EchoService(serviceConfig({ name: nameOf(accept), type: 'echo' })),
    wss: new WebSocketServer({ noServer: true }),
    access: compileAccessRules([]),
    meter: metrics.service(nameOf(accept)),
  }));
  const { listener, port } = await startTestListener(t, routes, log, metrics, overrides);
  t.after(() => Promise.all(routes.map((r) => r.service.stop())));
  return { listener, port, log, metrics };
}

function serverTls(overrides: Partial<ServerTlsSettings> = {}) {
  return prepareServerTls(serverTlsSettings({ truststore: trustStore(testPki().ca), verifyClient: 'required', ...overrides }));
}

function upgradeRequest(path: string, host = '127.0.0.1'): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
}

/** Everything the peer sends until it closes. */
function readAll(socket: Socket | tls.TLSSocket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('error', () => undefined);
    socket.once('close', () => resolve(text));
  });
}

function statusOf(port: number, request: string): Promise<string> {
  const s = connect(port, '127.0.0.1', () => s.write(request));
  return within(
    new Promise<string>((resolve, reject) => {
      s.once('data', (d: Buffer) => {
        resolve(d.toString().split('\r\n')[0] ?? '');
        s.destroy();
      });
      s.on('error', reject);
    }),
    'a status line',
  );
}

async function opened(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  await within(once(s, 'connect'), 'the TCP connection');
  return s;
}

test('a client that resets right after a refused upgrade harms no one', async (t) => {
  const { port } = await start(t);
  for (let i = 0; i < 20; i++) {
    const s = connect(port, '127.0.0.1', () => {
      s.write(upgradeRequest('/nope'));
      s.resetAndDestroy();
    });
    s.on('error', () => {});
    await within(once(s, 'close'), 'the reset socket to close');
  }
  assert.equal(await statusOf(port, upgradeRequest('/nope')), 'HTTP/1.1 404 Not Found');
  assert.equal(await statusOf(port, upgradeRequest('/echo')), 'HTTP/1.1 101 Switching Protocols');
});

test('an accepted connection has TCP keep-alive, its first probe after 60 s idle', linuxOnly, async (t) => {
  const { port } = await start(t);
  const client = await opened(port);
  t.after(() => client.destroy());
  client.write(upgradeRequest('/echo'));
  const [head] = (await within(once(client, 'data'), 'the 101')) as [Buffer];
  assert.match(head.toString(), /^HTTP\/1\.1 101 /);
  // A masked, empty pong, which nothing answers: it carries the client's ACK of the 101, so that the gateway's side
  // has no data in flight and shows its keep-alive timer rather than the retransmission timer.
  client.write(Buffer.from([0x8a, 0x80, 1, 2, 3, 4]));
  const timer = await within(
    (async () => {
      for (;;) {
        const seen = kernelTimer(port, client.localPort);
        if (seen.timer !== 1) return seen;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })(),
    'the 101 acknowledged',
  );
  assert.equal(timer.timer, 2, 'the kernel runs the keep-alive timer on the accepted socket');
  assert.ok(timer.seconds > KEEPALIVE_DELAY_MS / 1000 - 10 && timer.seconds <= KEEPALIVE_DELAY_MS / 1000, `first probe in ${timer.seconds} s`);
});

test('a closed listener answers upgrades still in flight with 503 and releases its port', async (t) => {
  const { listener, port } = await start(t);
  const s = await opened(port);
  const closed = listener.close();
  const reply = within(new Promise<string>((resolve) => s.once('data', (d: Buffer) => resolve(d.toString().split('\r\n')[0] ?? ''))), 'the 503');
  s.write(upgradeRequest('/echo'));
  assert.equal(await reply, 'HTTP/1.1 503 Service Unavailable');
  s.destroy();
  listener.destroyConnections();
  await closed;
});

test('a draining listener takes no new connection but upgrades the ones it had accepted', async (t) => {
  const { listener, port } = await start(t);
  const s = await opened(port);
  const stopped = listener.stopAccepting();
  assert.equal(listener.listening, false);
  await within(stopped, 'the port to be closed');
  const reply = within(new Promise<string>((resolve) => s.once('data', (d: Buffer) => resolve(d.toString().split('\r\n')[0] ?? ''))), 'the 101');
  s.write(upgradeRequest('/echo'));
  assert.equal(await reply, 'HTTP/1.1 101 Switching Protocols');
  const refused = connect(port, '127.0.0.1');
  const [err] = await within(once(refused, 'error') as Promise<[NodeJS.ErrnoException]>, 'a new connection to be refused');
  assert.equal(err.code, 'ECONNREFUSED');
  s.destroy();
});

test('a draining listener serves a connection the kernel had queued on its port, rather than resetting it', async (t) => {
  const { listener, port } = await start(t);
  // The client runs in a thread of its own, so that its connection is made, and waits in the port's queue, while
  // this thread (the listener's) is held: the drain then begins with it not yet accepted.
  const connected = new Int32Array(new SharedArrayBuffer(4));
  const client = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const s = require('node:net').connect(workerData.port, '127.0.0.1', () => {
       Atomics.store(workerData.connected, 0, 1);
       Atomics.notify(workerData.connected, 0);
       s.write(workerData.request);
     });
     s.once('data', (d) => { parentPort.postMessage(d.toString().split('\\r\\n')[0]); s.destroy(); });
     s.on('error', (e) => parentPort.postMessage(e.code));
     s.on('end', () => parentPort.postMessage('end'));`,
    { eval: true, workerData: { port, connected, request: upgradeRequest('/echo') } },
  );
  t.after(() => client.terminate());
  const answer = once(client, 'message');
  // 'not-equal': the client had connected before the wait began.
  assert.notEqual(Atomics.wait(connected, 0, 0, WAIT_MS), 'timed-out', 'the client connected');
  const stopped = listener.stopAccepting();
  const [first] = (await within(answer, "the queued client's answer")) as [string];
  assert.equal(first, 'HTTP/1.1 101 Switching Protocols');
  await within(stopped, 'the port to be closed');
  const refused = connect(port, '127.0.0.1');
  const [err] = await within(once(refused, 'error') as Promise<[NodeJS.ErrnoException]>, 'a later connection to be refused');
  assert.equal(err.code, 'ECONNREFUSED');
});

test('a client that sends no request is closed when ws.handshake.timeout expires, said at debug and not counted as a refusal', async (t) => {
  const { port, log, metrics } = await start(t, { handshakeTimeoutMs: 300 });
  const s = await opened(port);
  const began = performance.now();
  assert.equal(await within(readAll(s), 'the silent client to be closed'), '');
  assert.ok(performance.now() - began >= 250, 'not closed before the deadline');
  const line = await within(log.waitFor((l) => l['kind'] === 'handshake timeout'), 'the timeout line');
  assert.equal(line['reason'], 'no HTTP request');
  assert.equal(line['timeoutMs'], 300);
  assert.equal(line['code'], 'GW_ERR_HANDSHAKE_TIMEOUT');
  // A browser's unused spare connection, most often: nothing was asked, so nothing was refused.
  assert.equal(line['level'], 20);
  assert.equal(await refusals(metrics, 'deadline'), 0);
  assert.deepEqual(metrics.recentRefusals(), []);
});

test('a drain does not wait for a connection that has been ready for its first request for a second and sent none, from when it was ready', async (t) => {
  const { listener, port } = await start(t, { handshakeTimeoutMs: WAIT_MS * 2 });
  const idle = await opened(port);
  t.after(() => idle.destroy());
  const young = await opened(port);
  t.after(() => young.destroy());
  await within(listener.stopAccepting(), 'the port to be closed');
  // Seen two seconds on, both are spare connections; seen now, both may still send their request.
  await within(listener.handshakesDone(Date.now() + 2000), 'the drain not to wait for connections that were never used');
  let waited = true;
  const done = listener.handshakesDone().then(() => (waited = false));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(waited, true, 'a connection just set up is waited for');
  // Until it has been unused for a second, not until ws.handshake.timeout.
  await within(done, 'the drain to stop waiting for connections a second unused');
});

test('on an address that serves plain and TLS, a connection that sends nothing is unused too: not waited for by a drain, not counted', async (t) => {
  const { listener, port, log, metrics } = await start(t, { handshakeTimeoutMs: 300, tls: serverTls({ verifyClient: 'none' }), plain: true });
  const s = await opened(port);
  await within(listener.handshakesDone(Date.now() + 2000), 'the drain not to wait for it');
  assert.equal(await within(readAll(s), 'the silent client to be closed'), '');
  const line = await within(log.waitFor((l) => l['kind'] === 'handshake timeout'), 'the timeout line');
  assert.deepEqual([line['reason'], line['level']], ['nothing sent', 20]);
  assert.equal(await refusals(metrics, 'deadline'), 0);
});

test('half a request gets 408 at the deadline; a whole one within it is upgraded', async (t) => {
  const { port, log } = await start(t, { handshakeTimeoutMs: 300 });
  const s = await opened(port);
  const text = readAll(s);
  s.write('GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  assert.match(await within(text, 'the 408'), /^HTTP\/1\.1 408 Request Timeout/);
  assert.equal((await log.waitFor((l) => l['kind'] === 'handshake timeout'))['reason'], 'HTTP request not completed');
  assert.equal(await statusOf(port, upgradeRequest('/echo')), 'HTTP/1.1 101 Switching Protocols');
});

test('half a request gets 408 on an address that serves plain and TLS, though its first bytes told the two apart', async (t) => {
  const { port, log } = await start(t, { handshakeTimeoutMs: 300, tls: serverTls({ verifyClient: 'none' }), plain: true });
  const s = await opened(port);
  const text = readAll(s);
  s.write('GET /echo HTTP/1.1\r\n');
  assert.match(await within(text, 'the 408'), /^HTTP\/1\.1 408 Request Timeout/);
  assert.equal((await log.waitFor((l) => l['kind'] === 'handshake timeout'))['reason'], 'HTTP request not completed');
});

test('a client answered 408 is not served when it finishes its request afterwards', async (t) => {
  const { port } = await start(t, { handshakeTimeoutMs: 300 });
  const s = await opened(port);
  const text = readAll(s);
  s.write('GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  await within(new Promise((resolve) => s.once('data', resolve)), 'the 408');
  s.write('Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  const all = await within(text, 'the connection to close');
  assert.doesNotMatch(all, /101 Switching Protocols/);
});

test('an upgraded connection outlives the handshake deadline', async (t) => {
  const { port } = await start(t, { handshakeTimeoutMs: 200 });
  const s = await opened(port);
  const first = within(new Promise<string>((resolve) => s.once('data', (d: Buffer) => resolve(d.toString()))), 'the 101');
  s.write(upgradeRequest('/echo'));
  assert.match(await first, /^HTTP\/1\.1 101/);
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.equal(s.destroyed, false);
  s.destroy();
});

test('a plain HTTP request is answered and the connection closed', async (t) => {
  const { port } = await start(t);
  const s = await opened(port);
  const text = readAll(s);
  s.write('GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  const reply = await within(text, 'the connection to close after the answer');
  assert.match(reply, /^HTTP\/1\.1 426 Upgrade Required/);
  assert.match(reply, /\r\nConnection: close\r\n/i);
});

test('a request header past the size limit gets 431', async (t) => {
  const { port } = await start(t);
  const s = await opened(port);
  const text = readAll(s);
  s.write('GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  // Sent in pieces, as a slow client would: the cap is on the size, whatever the pace.
  for (let i = 0; i < 40 && !s.destroyed; i++) s.write(`X-Filler-${i}: ${'a'.repeat(1000)}\r\n`);
  assert.match(await within(text, 'the 431'), /^HTTP\/1\.1 431 Request Header Fields Too Large/);
});

test('tcp.maximum.connections: a connection over the limit is closed at once, before any byte', async (t) => {
  const { port, log, metrics } = await start(t, { maximumConnections: 2 });
  const a = await opened(port);
  const b = await opened(port);
  const c = await opened(port);
  assert.equal(await within(readAll(c), 'the third connection to be closed'), '');
  const line = await within(log.waitFor((l) => l['kind'] === 'connection refused'), 'the refusal line');
  assert.equal(line['reason'], 'tcp.maximum.connections reached');
  assert.equal(line['code'], 'GW_ERR_CONNECTION_LIMIT');
  assert.equal(await refusals(metrics, 'limits'), 1);
  a.destroy();
  await within(once(a, 'close'), 'a to close');
  // The slot a held is free again (the listener counts on its own close, so allow it a moment to see it).
  let status = '';
  for (let i = 0; i < 20 && status === ''; i++) status = await statusOf(port, upgradeRequest('/echo')).catch(() => '');
  assert.equal(status, 'HTTP/1.1 101 Switching Protocols');
  b.destroy();
});

test('tcp.maximum.connections.per.address: over one address share gets 503; the shares held still work', async (t) => {
  const { port, log } = await start(t, { maximumConnectionsPerAddress: 1 });
  const held = await opened(port);
  const reply = within(new Promise<string>((resolve) => held.once('data', (d: Buffer) => resolve(d.toString()))), 'the 101');
  held.write(upgradeRequest('/echo'));
  assert.match(await reply, /^HTTP\/1\.1 101/);
  assert.equal(await statusOf(port, upgradeRequest('/echo')), 'HTTP/1.1 503 Service Unavailable');
  const line = await within(log.waitFor((l) => l['kind'] === 'connection refused'), 'the refusal line');
  assert.equal(line['reason'], 'tcp.maximum.connections.per.address reached');
  assert.equal(line['code'], 'GW_ERR_CONNECTION_LIMIT');
  assert.equal(held.destroyed, false);
  held.destroy();
});

/** A TCP connection to the listener from `localAddress` (any 127.0.0.0/8 address is this machine's on Linux). */
async function openedFrom(port: number, localAddress: string): Promise<Socket> {
  const s = connect({ port, host: '127.0.0.1', localAddress });
  s.on('error', () => undefined);
  await within(once(s, 'connect'), 'the TCP connection');
  return s;
}

async function upgradedFrom(port: number, localAddress: string): Promise<Socket> {
  const s = await openedFrom(port, localAddress);
  const reply = within(new Promise<string>((resolve) => s.once('data', (d: Buffer) => resolve(d.toString()))), 'the 101');
  s.write(upgradeRequest('/echo'));
  assert.match(await reply, /^HTTP\/1\.1 101/);
  return s;
}

const otherLoopbacks = { skip: process.platform !== 'linux' ? 'connects from 127.0.0.2 and up, which only Linux routes to itself without setup' : false };

test('connections over one address share take no place in tcp.maximum.connections: other addresses still get in', otherLoopbacks, async (t) => {
  // A handshake deadline past the tests' own: a connection is closed at once, not when its deadline expires.
  const { port } = await start(t, { maximumConnections: 3, maximumConnectionsPerAddress: 1, handshakeTimeoutMs: 60_000 });
  const held = await upgradedFrom(port, '127.0.0.1');
  // Two more from that address, sending nothing: the first waits for its 503, the second is closed at once.
  const waiting = await openedFrom(port, '127.0.0.1');
  const closed = await openedFrom(port, '127.0.0.1');
  assert.equal(await within(readAll(closed), 'the second connection over the share to be closed'), '');
  // The listener's two other places are there for other addresses.
  const others = [await upgradedFrom(port, '127.0.0.2'), await upgradedFrom(port, '127.0.0.3')];
  const answer = within(new Promise<string>((resolve) => waiting.once('data', (d: Buffer) => resolve(d.toString()))), 'the 503');
  waiting.write(upgradeRequest('/echo'));
  assert.match(await answer, /^HTTP\/1\.1 503 Service Unavailable/);
  for (const s of [held, waiting, ...others]) s.destroy();
});

test('connections waiting for their 503 are as many as tcp.maximum.connections at most, from all addresses together', otherLoopbacks, async (t) => {
  const { listener, port } = await start(t, { maximumConnections: 2, maximumConnectionsPerAddress: 1, handshakeTimeoutMs: 60_000 });
  const count = (n: number) =>
    within(
      (async () => {
        while (listener.connectionCount !== n) await new Promise((resolve) => setTimeout(resolve, 5));
      })(),
      `the listener to hold ${n} connections`,
    );
  // Each address takes its share, leaves a connection over it waiting, and lets its share go again.
  const waiting: Socket[] = [];
  for (const address of ['127.0.0.1', '127.0.0.2']) {
    const held = await upgradedFrom(port, address);
    waiting.push(await openedFrom(port, address));
    await count(waiting.length + 1);
    held.destroy();
    await count(waiting.length);
  }
  // The third address's connection over its share finds two waiting already: it is closed at once.
  const held = await upgradedFrom(port, '127.0.0.3');
  assert.equal(await within(readAll(await openedFrom(port, '127.0.0.3')), 'the connection over the share to be closed'), '');
  for (const s of [held, ...waiting]) s.destroy();
});

test('a per-address limit set by a reload counts only what it admits: connections from before it free no share', async (t) => {
  const { listener, port } = await start(t);
  const upgraded = async (): Promise<Socket> => {
    const s = await opened(port);
    const reply = within(new Promise<string>((resolve) => s.once('data', (d: Buffer) => resolve(d.toString()))), 'the 101');
    s.write(upgradeRequest('/echo'));
    assert.match(await reply, /^HTTP\/1\.1 101/);
    return s;
  };
  const before = [await upgraded(), await upgraded(), await upgraded()];
  listener.reconfigure({ ...listener.options, maximumConnectionsPerAddress: 2 });
  const after = [await upgraded(), await upgraded()];
  for (const s of before) s.destroy();
  // The listener has seen the three close.
  await within(
    (async () => {
      while (listener.connectionCount > 2) await new Promise((resolve) => setTimeout(resolve, 5));
    })(),
    'the connections from before the reload to close',
  );
  assert.equal(await statusOf(port, upgradeRequest('/echo')), 'HTTP/1.1 503 Service Unavailable');
  for (const s of after) s.destroy();
});

function tlsClient(port: number, options: tls.ConnectionOptions): tls.TLSSocket {
  return tls.connect({ host: '127.0.0.1', port, ca: testPki().ca.cert, servername: 'localhost', ...options });
}

function tlsOutcome(socket: tls.TLSSocket): Promise<{ error: (Error & { code?: string }) | undefined; text: string }> {
  return within(
    new Promise((resolve) => {
      let text = '';
      let error: (Error & { code?: string }) | undefined;
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('error', (e) => (error ??= e));
      socket.once('close', () => resolve({ error, text }));
    }),
    'the TLS client to be closed',
  );
}

test('wss: a client without a certificate gets the certificate_required alert (TLS 1.3)', async (t) => {
  const { port, log, metrics } = await start(t, { tls: serverTls(), verifyClient: 'required' }, [acceptFor('localhost', '/echo', 'wss')]);
  const outcome = await tlsOutcome(tlsClient(port, {}));
  assert.equal(outcome.error?.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  const line = await within(log.waitFor((l) => String(l['msg']).startsWith('client certificate refused')), 'the refusal line');
  assert.equal(line['reason'], 'no client certificate sent');
  assert.equal(await refusals(metrics, 'no_certificate'), 1);
  const failures = (await metrics.registry.getSingleMetric('gateway_tls_handshake_failures_total')?.get())?.values ?? [];
  assert.deepEqual(failures.map((v) => [v.labels['reason'], v.value]), [['ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', 1]]);
});

test('wss: a client that speaks plain HTTP to a TLS port is answered 400 in plain HTTP and logged as a failed TLS handshake', async (t) => {
  const { port, log } = await start(t, { tls: serverTls(), verifyClient: 'required' }, [acceptFor('localhost', '/echo', 'wss')]);
  const s = await opened(port);
  let answer = '';
  s.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  s.write(upgradeRequest('/echo'));
  await within(once(s, 'close'), 'the plain client to be closed');
  assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.match(answer, /\r\n\r\nBad request: this address takes TLS only; use wss:\/\/ \(or https:\/\/\)\.\n$/);
  const line = await within(log.waitFor((l) => l['kind'] === 'TLS handshake failed'), 'the refusal line');
  assert.equal(line['code'], 'GW_ERR_TLS_HANDSHAKE');
  assert.equal(line['reason'], 'ERR_SSL_HTTP_REQUEST');
  assert.match(String(line['hint']), /plain HTTP .* wss:\/\//);
});

test('wss: bytes that are neither TLS nor an HTTP request get no HTTP answer', async (t) => {
  const { port, log } = await start(t, { tls: serverTls(), verifyClient: 'required' }, [acceptFor('localhost', '/echo', 'wss')]);
  const s = await opened(port);
  let answer = '';
  s.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  s.write('SSH-2.0-OpenSSH_9.2\r\n');
  await within(once(s, 'close'), 'the client to be closed');
  const line = await within(log.waitFor((l) => l['kind'] === 'TLS handshake failed'), 'the refusal line');
  assert.equal(line['hint'], undefined);
  assert.doesNotMatch(answer, /HTTP\/1\.1/);
});

test('an upgrade for a path no service accepts is logged with its code', async (t) => {
  const { port, log } = await start(t);
  assert.equal(await statusOf(port, upgradeRequest('/nope')), 'HTTP/1.1 404 Not Found');
  const line = await within(log.waitFor((l) => l['msg'] === 'no service for path: upgrade refused'), 'the refusal line');
  assert.deepEqual([line['path'], line['code']], ['/nope', 'GW_ERR_NO_SERVICE']);
});

test('wss: every completed handshake is counted, full or resumed, and the open line says which', async (t) => {
  const { port, log, metrics } = await start(t, { tls: serverTls(), verifyClient: 'required' }, [acceptFor('localhost', '/echo', 'wss')]);
  const { client } = testPki();
  /** Upgrades, leaves once answered, and gives the session the gateway sent and whether this one was resumed. */
  const visit = (session?: Buffer): Promise<{ session: Buffer | undefined; reused: boolean }> =>
    within(
      new Promise((resolve, reject) => {
        let sent: Buffer | undefined;
        let reused = false;
        const socket = tlsClient(port, { cert: client.cert, key: client.key, ...(session ? { session } : {}) });
        socket.on('session', (s: Buffer) => (sent = s));
        socket.once('secureConnect', () => {
          reused = socket.isSessionReused();
          socket.write(upgradeRequest('/echo', 'localhost'));
        });
        socket.once('data', () => socket.end());
        socket.on('error', reject);
        socket.once('close', () => resolve({ session: sent, reused }));
      }),
      'a TLS visit',
    );
  const first = await visit();
  assert.ok(first.session, 'the gateway sent a session ticket');
  const second = await visit(first.session);
  assert.equal(second.reused, true);
  await within(log.waitFor((l) => l['event'] === 'open' && l['resumed'] === true), 'the resumed open line');
  const opens = log.lines.filter((l) => l['event'] === 'open');
  assert.deepEqual(opens.map((l) => l['resumed']), [false, true]);
  const handshakes = (await metrics.registry.getSingleMetric('gateway_tls_handshakes_total')?.get())?.values ?? [];
  assert.deepEqual(handshakes.map((v) => [v.labels['resumed'], v.value]).sort(), [['false', 1], ['true', 1]]);
});

test('ws: a connection without TLS has no resumed field and counts no handshake', async (t) => {
  const { port, log, metrics } = await start(t);
  const s = await opened(port);
  s.write(upgradeRequest('/echo'));
  const line = await within(log.waitFor((l) => l['event'] === 'open'), 'the open line');
  s.destroy();
  assert.equal('resumed' in line, false);
  const handshakes = (await metrics.registry.getSingleMetric('gateway_tls_handshakes_total')?.get())?.values ?? [];
  assert.deepEqual(handshakes, []);
});

test('wss: a client without a certificate gets a handshake_failure alert (TLS 1.2)', async (t) => {
  const { port } = await start(t, { tls: serverTls(), verifyClient: 'required' }, [acceptFor('localhost', '/echo', 'wss')]);
  const outcome = await tlsOutcome(tlsClient(port, { maxVersion: 'TLSv1.2' }));
  assert.equal(outcome.error?.code, 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE');
});

test('wss: a certificate that does not verify is answered 403 naming the cause', async (t) => {
  const { port, log, metrics } = await start(t, { tls: serverTls(), verifyClient: 'required' }, [acceptFor('localhost', '/echo', 'wss')]);
  const { expiredClient } = testPki();
  const socket = tlsClient(port, { cert: expiredClient.cert, key: expiredClient.key });
  socket.once('secureConnect', () => socket.write(upgradeRequest('/echo', 'localhost')));
  const outcome = await tlsOutcome(socket);
  assert.match(outcome.text, /^HTTP\/1\.1 403 Forbidden/);
  assert.match(outcome.text, /CERT_HAS_EXPIRED/);
  const line = await within(log.waitFor((l) => String(l['msg']).startsWith('client certificate refused')), 'the refusal line');
  assert.equal(line['subject'], 'CN=expired-device, OU=devices, O=Acme');
  assert.equal(await refusals(metrics, 'expired', 'echo-localhost'), 1);
  const [recent] = metrics.recentRefusals();
  assert.equal(recent?.reason, 'expired');
  assert.equal(recent?.subject, 'CN=expired-device, OU=devices, O=Acme');
});

test('wss: a certificate refused on an address of several services is logged and counted, with its code, for the service its request was for', async (t) => {
  const { port, log, metrics } = await start(t, { tls: serverTls(), verifyClient: 'required' }, [acceptFor('localhost', '/echo', 'wss'), acceptFor('localhost', '/other', 'wss')]);
  const { expiredClient } = testPki();
  const socket = tlsClient(port, { cert: expiredClient.cert, key: expiredClient.key });
  socket.once('secureConnect', () => socket.write(upgradeRequest('/other', 'localhost')));
  assert.match((await tlsOutcome(socket)).text, /^HTTP\/1\.1 403 Forbidden/);
  const line = await within(log.waitFor((l) => String(l['msg']).startsWith('client certificate refused')), 'the refusal line');
  assert.equal(line['code'], 'GW_ERR_CLIENT_CERTIFICATE');
  assert.equal(line['reason'], 'CERT_HAS_EXPIRED');
  assert.equal(line['service'], 'echo-localhost/other');
  assert.equal(await refusals(metrics, 'expired', 'echo-localhost/other'), 1);
  assert.equal(metrics.recentRefusals()[0]?.service, 'echo-localhost/other');
});

test('wss: on an address of several services, a certificate refused in the handshake, or by a client that sends no request, names no service', async (t) => {
  const { port, log, metrics } = await start(t, { tls: serverTls(), verifyClient: 'required' }, [acceptFor('localhost', '/echo', 'wss'), acceptFor('localhost', '/other', 'wss')]);
  await tlsOutcome(tlsClient(port, {}));
  const none = await within(log.waitFor((l) => l['reason'] === 'no client certificate sent'), 'the refusal of the client without a certificate');
  assert.equal(none['code'], 'GW_ERR_CLIENT_CERTIFICATE');
  assert.equal('service' in none, false);
  assert.equal(await refusals(metrics, 'no_certificate', ''), 1);

  // TLS 1.2: the client's handshake completes after the gateway's, which has judged the certificate by then.
  const { expiredClient } = testPki();
  const leaving = tlsClient(port, { cert: expiredClient.cert, key: expiredClient.key, maxVersion: 'TLSv1.2' });
  leaving.once('secureConnect', () => leaving.end());
  await tlsOutcome(leaving);
  const expired = await within(log.waitFor((l) => l['reason'] === 'CERT_HAS_EXPIRED'), 'the refusal of the client that sent no request');
  assert.equal(expired['code'], 'GW_ERR_CLIENT_CERTIFICATE');
  assert.equal('service' in expired, false);
  assert.equal(await refusals(metrics, 'expired', ''), 1);
});

test('wss: a client that never finishes its TLS handshake is closed at the deadline', async (t) => {
  const { port, log } = await start(t, { tls: serverTls(), verifyClient: 'required', handshakeTimeoutMs: 300 }, [acceptFor('localhost', '/echo', 'wss')]);
  const s = await opened(port);
  s.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])); // the start of a ClientHello, and no more
  await within(readAll(s), 'the stalled handshake to be closed');
  const line = await within(log.waitFor((l) => l['kind'] === 'handshake timeout'), 'the timeout line');
  assert.equal(line['reason'], 'TLS handshake not completed');
});

test('wss: a client asking to renegotiate is disconnected', async (t) => {
  const { port } = await start(t, { tls: serverTls({ verifyClient: 'none' }), verifyClient: 'none' }, [acceptFor('localhost', '/echo', 'wss')]);
  const socket = tlsClient(port, { maxVersion: 'TLSv1.2' });
  const outcome = tlsOutcome(socket);
  await within(once(socket, 'secureConnect'), 'the handshake');
  const renegotiated = new Promise<Error | null>((resolve) => socket.renegotiate({}, (err) => resolve(err)));
  const result = await Promise.race([renegotiated, outcome.then(() => 'closed' as const)]);
  assert.notEqual(result, null, 'renegotiation must not succeed');
  socket.destroy();
  await outcome;
});

function hostCert(...names: string[]): Issued {
  return issue({ subject: { CN: names[0] as string, O: 'Acme' }, sans: names.map((n) => `DNS:${n}`), issuer: testPki().ca, usage: 'server' });
}

test('https: a plain request whose SNI and Host name different services gets 421, logged with its code', async (t) => {
  const { ca } = testPki();
  const prepared = serverTls({
    keystore: keyStore(keyEntry('a', hostCert('a.example'), ca), keyEntry('b', hostCert('b.example'), ca)),
    hostnames: ['a.example', 'b.example'],
    verifyClient: 'none',
  });
  const log = memoryLog();
  const metrics = new PrometheusMetrics({ processMetrics: false });
  const routes = ['a.example', 'b.example'].map((host) => {
    const accept: AcceptUri = { uri: `https://${host}:0/`, scheme: 'https', host, port: 0, path: '/', listen: { host: '127.0.0.1', port: 0 }, position: { file: 't.xml' } };
    const redirect = { location: `https://${host}/moved`, statusCode: 301, cacheControl: undefined };
    const service = new RedirectService(serviceConfig({ name: `to-${host}`, type: 'http.redirect', accepts: [accept], redirect }));
    return { accept, service, wss: undefined, access: compileAccessRules([]), meter: metrics.service(`to-${host}`) };
  });
  const { port } = await startTestListener(t, routes, log, metrics, { tls: prepared, verifyClient: 'none' });
  const status = async (host: string): Promise<string> => {
    const socket = tlsClient(port, { servername: 'a.example', checkServerIdentity: () => undefined });
    socket.once('secureConnect', () => socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    const { text } = await tlsOutcome(socket.once('data', () => socket.end()));
    return text.split('\r\n')[0] ?? '';
  };
  assert.equal(await status('a.example'), 'HTTP/1.1 301 Moved Permanently');
  assert.equal(await status('b.example'), 'HTTP/1.1 421 Misdirected Request');
  const line = await within(log.waitFor((l) => String(l['msg']).startsWith('SNI and Host name different')), 'the 421 line');
  assert.deepEqual([line['servername'], line['host'], line['code']], ['a.example', 'b.example', 'GW_ERR_MISDIRECTED']);
});

test('wss: SNI and Host naming different hosts get 421, unless both lead to one certificate and one route', async (t) => {
  const { ca } = testPki();
  const a = hostCert('a.example');
  const b = hostCert('b.example');
  const prepared = serverTls({
    keystore: keyStore(keyEntry('a', a, ca), keyEntry('b', b, ca)),
    hostnames: ['a.example', 'b.example'],
    verifyClient: 'none',
  });
  const { port, log } = await start(t, { tls: prepared, verifyClient: 'none' }, [acceptFor('a.example', '/echo', 'wss'), acceptFor('b.example', '/echo', 'wss')]);
  const status = async (servername: string, host: string): Promise<string> => {
    const socket = tlsClient(port, { servername, checkServerIdentity: () => undefined });
    socket.once('secureConnect', () => socket.write(upgradeRequest('/echo', host)));
    const { text } = await tlsOutcome(socket.once('data', () => socket.end()));
    return text.split('\r\n')[0] ?? '';
  };
  assert.equal(await status('a.example', 'a.example'), 'HTTP/1.1 101 Switching Protocols');
  assert.equal(await status('a.example', 'b.example'), 'HTTP/1.1 421 Misdirected Request');
  const line = await within(log.waitFor((l) => String(l['msg']).startsWith('SNI and Host name different')), 'the 421 line');
  assert.deepEqual([line['servername'], line['host'], line['code']], ['a.example', 'b.example', 'GW_ERR_MISDIRECTED']);
  // A name no accept has is served by the default certificate and routed by path alone: the same as a.example's.
  assert.equal(await status('a.example', 'alias.example'), 'HTTP/1.1 101 Switching Protocols');
});
