import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { ProxyService } from '../../../src/services/proxy.js';
import { createConnector, type Connector } from '../../../src/upstream/connector.js';
import { GatewayError } from '../../../src/errors.js';
import { memoryLog } from '../../helpers/memory-log.js';
import { serve, type Harness } from '../../helpers/ws-harness.js';
import { serviceConfig } from '../../helpers/service-config.js';
import { tcpEcho } from '../../helpers/tcp-servers.js';
import type { ConnectStrategy, ServiceConfig } from '../../../src/config/types.js';
import { WAIT_MS, event, withDeadline } from '../../helpers/deadline.js';
import { streamUpstream } from '../../../src/services/stream-upstream.js';
import type { Logger } from 'pino';
import type { End } from '../../../src/pipe/ends.js';
import type { ConnectionContext } from '../../../src/services/types.js';
import { NO_METRICS } from '../../../src/metrics/types.js';
import { readFramesInPlace } from '../../../src/pipe/frame-reader.js';

// What Gateway.start does: the client's reader stops when it is paused (a deferred connect pauses it).
assert.equal(readFramesInPlace(), undefined);

function proxyService(config: ServiceConfig, connector: Connector, log: Logger): ProxyService {
  return new ProxyService(config, { ...streamUpstream(config, connector, undefined), log });
}

function proxyConfig(port: number, connectStrategy: ConnectStrategy = 'immediate') {
  return serviceConfig({
    name: 'proxy',
    type: 'proxy',
    connect: { uri: `tcp://127.0.0.1:${port}`, scheme: 'tcp', host: '127.0.0.1', port, path: '/', position: { file: 't.xml' } },
    properties: { maximumPendingBytes: 64000, maximumRecoveryIntervalS: 0, connectStrategy, preparedConnectionCount: 0, closeTimeoutMs: 5000, idleTimeoutMs: 0 },
  });
}

function counting(inner: Connector): { connector: Connector; calls: () => number } {
  let calls = 0;
  return {
    connector: (target, signal) => {
      calls++;
      return inner(target, signal);
    },
    calls: () => calls,
  };
}

test('proxy pipes a client to its backend and logs upstream, bytes and reason on close', async (t) => {
  const backend = await tcpEcho();
  t.after(() => backend.close());
  const h = await serve(proxyService(proxyConfig(backend.port), createConnector(), memoryLog().log));
  t.after(() => h.close());
  const ws = await h.connect();
  const reply = event<[Buffer]>(ws, 'message', 'the echo of "hello"');
  ws.send('hello');
  assert.equal((await reply)[0].toString(), 'hello');
  ws.close(1000);
  const line = await h.logs.waitFor((l) => l['event'] === 'close');
  assert.equal(line['upstream'], `tcp://127.0.0.1:${backend.port}`);
  assert.equal(line['bytesIn'], 5);
  assert.equal(line['bytesOut'], 5);
});

test('immediate connects when the client is accepted; deferred waits for its first message', async (t) => {
  const backend = await tcpEcho();
  t.after(() => backend.close());
  for (const strategy of ['immediate', 'deferred'] as const) {
    const c = counting(createConnector());
    const h = await serve(proxyService(proxyConfig(backend.port, strategy), c.connector, memoryLog().log));
    const ws = await h.connect();
    assert.equal(c.calls(), strategy === 'immediate' ? 1 : 0, strategy);
    const reply = event<[Buffer]>(ws, 'message', `the echo of "first" (${strategy})`);
    ws.send('first');
    assert.equal((await reply)[0].toString(), 'first');
    assert.equal(c.calls(), 1, strategy);
    ws.close();
    await h.close();
  }
});

test('a failed connect closes the client with 1011 and a reason, and logs the failure', async (t) => {
  const failing: Connector = (target) =>
    Promise.reject(new GatewayError('GW_ERR_UPSTREAM_CONNECT', `Connection to ${target.uri} failed: ECONNREFUSED`));
  const h = await serve(proxyService(proxyConfig(9), failing, memoryLog().log));
  t.after(() => h.close());
  const ws = await h.connect();
  const [code, reason] = await event<[number, Buffer]>(ws, 'close', 'the client to be closed');
  assert.equal(code, 1011);
  assert.equal(reason.toString(), 'Connection to tcp://127.0.0.1:9 failed');
  const warn = await h.logs.waitFor((l) => l['msg'] === 'Connection to tcp://127.0.0.1:9 failed');
  assert.equal(warn['level'], 40);
  const closed = await h.logs.waitFor((l) => l['event'] === 'close');
  assert.equal(closed['code'], 1011);
});

/**
 * A WebSocket client written by hand that answers any close frame with 1000, as many clients do (Python's
 * websocket-client, browsers' defaults), where ws echoes the code it was sent.
 */
async function answersCloseWith1000(url: string): Promise<net.Socket> {
  const { port } = new URL(url);
  const socket = net.connect(Number(port), '127.0.0.1');
  await event(socket, 'connect', 'the raw client to connect');
  socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  let seen = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    seen = Buffer.concat([seen, chunk]);
    const head = seen.indexOf('\r\n\r\n');
    // Once the 101's head is past, a close frame (0x88) is answered with a masked close of 1000, then the end.
    if (head >= 0 && seen[head + 4] === 0x88) {
      const mask = Buffer.from([1, 2, 3, 4]);
      const payload = Buffer.from([0x03 ^ 1, 0xe8 ^ 2]);
      socket.end(Buffer.concat([Buffer.from([0x88, 0x82]), mask, payload]));
      seen = Buffer.alloc(0);
    }
  });
  return socket;
}

test("the close line's code is the one the gateway sent a client it closed, not the client's answer", async (t) => {
  const failing: Connector = (target) => Promise.reject(new GatewayError('GW_ERR_UPSTREAM_CONNECT', `Connection to ${target.uri} failed: ECONNREFUSED`));
  const h = await serve(proxyService(proxyConfig(9), failing, memoryLog().log));
  t.after(() => h.close());
  const socket = await answersCloseWith1000(h.url);
  t.after(() => socket.destroy());
  const closed = await h.logs.waitFor((l) => l['event'] === 'close');
  assert.equal(closed['code'], 1011);
});

/** A client of `h` that sends nothing is closed as idle (1001), and its close line gives `why`. */
async function closedIdle(h: Harness, why: string): Promise<void> {
  const ws = await h.connect();
  const [code, reason] = await event<[number, Buffer]>(ws, 'close', 'the idle client to be closed');
  assert.deepEqual([code, reason.toString()], [1001, 'idle timeout']);
  const closed = await h.logs.waitFor((l) => l['event'] === 'close');
  assert.equal(closed['reason'], why);
}

test('idle.timeout closes a connection through which nothing moved (1001 to the WebSocket client), and the close line says so', async (t) => {
  const backend = await tcpEcho();
  t.after(() => backend.close());
  const config = { ...proxyConfig(backend.port), properties: { ...proxyConfig(backend.port).properties, idleTimeoutMs: 200 } };
  const h = await serve(proxyService(config, createConnector(), memoryLog().log));
  t.after(() => h.close());
  await closedIdle(h, 'idle for 0.2 s (idle.timeout)');
});

/** A raw client that upgrades, sends a close frame (1000) and then keeps its TCP side open, whatever it is sent. */
async function closesButStays(url: string): Promise<net.Socket> {
  const { port } = new URL(url);
  const socket = net.connect({ port: Number(port), host: '127.0.0.1', allowHalfOpen: true });
  await event(socket, 'connect', 'the raw client to connect');
  socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  let seen = '';
  socket.setEncoding('latin1');
  await withDeadline(new Promise<void>((resolve) => {
    const read = (chunk: string): void => {
      seen += chunk;
      if (!seen.includes('\r\n\r\n')) return;
      socket.off('data', read);
      resolve();
    };
    socket.on('data', read);
  }), WAIT_MS, 'the 101');
  socket.resume();
  const mask = Buffer.from([1, 2, 3, 4]);
  socket.write(Buffer.concat([Buffer.from([0x88, 0x82]), mask, Buffer.from([0x03 ^ 1, 0xe8 ^ 2])]));
  return socket;
}

test('a client that sends its close frame but keeps its TCP side open is let go: by close.timeout once piped, by the close grace before', async (t) => {
  const backend = await tcpEcho();
  t.after(() => backend.close());
  for (const strategy of ['immediate', 'deferred'] as const) {
    const base = proxyConfig(backend.port, strategy);
    const config = { ...base, properties: { ...base.properties, closeTimeoutMs: 200 } };
    // As the gateway runs a byte-stream backend's WebSockets: ws's own close timer is no bound there (state.ts).
    const h = await serve(proxyService(config, createConnector(), memoryLog().log), undefined, 2 ** 31 - 1);
    t.after(() => h.close());
    const socket = await closesButStays(h.url);
    t.after(() => socket.destroy());
    // The gateway's end is let go (its close line written) while the client still holds its side.
    const line = await h.logs.waitFor((l) => l['event'] === 'close');
    assert.match(String(line['reason']), /downstream closed \(1000\)/, strategy);
    await h.close();
  }
});

test('idle.timeout closes a client that sends nothing while a deferred connect waits for its first message', async (t) => {
  const c = counting(createConnector());
  const base = proxyConfig(9, 'deferred');
  const config = { ...base, properties: { ...base.properties, idleTimeoutMs: 200 } };
  const h = await serve(proxyService(config, c.connector, memoryLog().log));
  t.after(() => h.close());
  await closedIdle(h, 'idle for 0.2 s (idle.timeout) before the upstream was connected');
  assert.equal(c.calls(), 0);
});

test('a failure the proxy does not expect costs its client the connection, logged, and never the process', async () => {
  const logs = memoryLog();
  const service = proxyService(proxyConfig(9), createConnector(), logs.log);
  let destroyed = false;
  const broken: End = {
    kind: 'messages',
    writable: true,
    attach: () => {
      throw new Error('an end in a state it should never be in');
    },
    detach: () => undefined,
    write: () => undefined,
    pause: () => undefined,
    resume: () => undefined,
    close: () => undefined,
    abort: () => undefined,
    destroy: () => (destroyed = true),
  };
  const ctx: ConnectionContext = { id: '1', downstreamAddress: '127.0.0.1', downstreamPort: 1, localAddress: '127.0.0.1', localPort: 2, tlsVersion: undefined, servername: undefined, accept: 'ws://127.0.0.1:0/', path: '/', identity: undefined, log: logs.log, openedAt: Date.now(), traffic: { bytesIn: 0, bytesOut: 0 }, meter: NO_METRICS.service('proxy'), closedByGateway: () => undefined };
  service.handle(broken, ctx);
  const line = await logs.waitFor((l) => l['code'] === 'GW_ERR_INTERNAL');
  assert.equal(line['msg'], 'connection failed unexpectedly: closed');
  assert.equal(destroyed, true);
  await logs.waitFor((l) => l['event'] === 'close' && l['reason'] === 'failed unexpectedly (GW_ERR_INTERNAL)');
  await withDeadline(service.stop(), WAIT_MS, 'the service to stop with no client left');
});

test('a failed connect that carries a hint logs it; one without logs none', async (t) => {
  const hint = 'import the CA that issued the backend certificate';
  for (const given of [hint, undefined]) {
    const failing: Connector = (target) => Promise.reject(new GatewayError('GW_ERR_UPSTREAM_TLS', `TLS handshake with ${target.uri} failed`, { hint: given }));
    const h = await serve(proxyService(proxyConfig(9), failing, memoryLog().log));
    t.after(() => h.close());
    const ws = await h.connect();
    await event(ws, 'close', 'the client to be closed');
    const warn = await h.logs.waitFor((l) => l['msg'] === 'Connection to tcp://127.0.0.1:9 failed');
    assert.equal(warn['code'], 'GW_ERR_UPSTREAM_TLS');
    assert.equal(warn['hint'], given);
    assert.equal('hint' in warn, given !== undefined);
  }
});

test('with maximum.recovery.interval a failed connect takes the service down', async (t) => {
  const failing: Connector = () => Promise.reject(new GatewayError('GW_ERR_UPSTREAM_CONNECT', 'refused'));
  const config = { ...proxyConfig(9), properties: { maximumPendingBytes: 64000, maximumRecoveryIntervalS: 4, connectStrategy: 'immediate' as const, preparedConnectionCount: 0, closeTimeoutMs: 5000, idleTimeoutMs: 0 } };
  const service = proxyService(config, failing, memoryLog().log);
  const h = await serve(service);
  t.after(() => h.close());
  assert.equal(service.available, true);
  const ws = await h.connect();
  await event(ws, 'close', 'the client to be closed');
  assert.equal(service.available, false);
});

test('a client that breaks the protocol while a deferred connect waits is its own fault: the service stays up', async (t) => {
  const failing: Connector = () => Promise.reject(new GatewayError('GW_ERR_UPSTREAM_CONNECT', 'must not be called'));
  const config = {
    ...proxyConfig(9, 'deferred'),
    properties: { maximumPendingBytes: 64000, maximumRecoveryIntervalS: 30, connectStrategy: 'deferred' as const, preparedConnectionCount: 0, closeTimeoutMs: 5000, idleTimeoutMs: 0 },
  };
  const c = counting(failing);
  const service = proxyService(config, c.connector, memoryLog().log);
  const h = await serve(service, 1024);
  t.after(() => h.close());
  const ws = await h.connect();
  const closed = withDeadline(new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code))), WAIT_MS, 'the client to be closed');
  ws.send(Buffer.alloc(4096)); // over the 1 KiB limit: ws fails the connection with 1009
  assert.equal(await closed, 1009);
  const line = await h.logs.waitFor((l) => l['event'] === 'close');
  assert.match(String(line['reason']), /message too big/);
  assert.equal(c.calls(), 0);
  assert.equal(service.available, true);
});

test('a client that sends a burst of messages and its close while a deferred connect waits has the connect cancelled, its close its own', async (t) => {
  let cancelled = false;
  // Answers only when cancelled: a client whose close is not heard waits for the test's deadline.
  const waiting: Connector = (_target, cancellation) =>
    new Promise((_, reject) => {
      cancellation?.onCancel(() => {
        cancelled = true;
        reject(new GatewayError('GW_ERR_STATE', 'cancelled'));
      });
    });
  const h = await serve(proxyService(proxyConfig(9, 'deferred'), waiting, memoryLog().log));
  t.after(() => h.close());
  const ws = await h.connect();
  const closed = withDeadline(new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code))), WAIT_MS, 'the client to be closed');
  const frame = Buffer.from([0x82, 0x81, 1, 2, 3, 4, 0x55 ^ 1]);
  const close = Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);
  // One read: more frames than one run of the reader, then the close.
  (ws as unknown as { _socket: net.Socket })._socket.write(Buffer.concat([...Array.from({ length: 3000 }, () => frame), close]));
  assert.equal(await closed, 1000);
  const line = await h.logs.waitFor((l) => l['event'] === 'close');
  assert.match(String(line['reason']), /downstream closed \(1000\)/);
  assert.equal(cancelled, true);
});
