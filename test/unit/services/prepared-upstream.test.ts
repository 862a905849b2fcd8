/**
 * A proxy's prepared connections (services/prepared-upstream.ts) in a real pool, to real backends on port 0: what a
 * backend sends before a client comes is held for that client, a connection holding too much is closed by the
 * gateway (and said so), and one nobody took is closed as a client's is: a FIN, or a close frame with 1001.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import type { WebSocket } from 'ws';
import type { ServiceConfig } from '../../../src/config/types.js';
import type { GatewayError } from '../../../src/errors.js';
import type { Payload } from '../../../src/pipe/fuse.js';
import { preparedUpstreams, type PreparedUpstream } from '../../../src/services/prepared-upstream.js';
import { streamUpstream } from '../../../src/services/stream-upstream.js';
import { webSocketUpstream } from '../../../src/services/websocket-upstream.js';
import { createConnector, type Connector } from '../../../src/upstream/connector.js';
import { PreparedConnections } from '../../../src/upstream/prepared.js';
import { createWebSocketConnector } from '../../../src/upstream/ws-connector.js';
import { WAIT_MS, event, withDeadline } from '../../helpers/deadline.js';
import { memoryLog } from '../../helpers/memory-log.js';
import { serviceConfig } from '../../helpers/service-config.js';
import { tcpServer, type Backend } from '../../helpers/tcp-servers.js';
import { webSocketBackend } from '../../helpers/ws-backend.js';

const within = <T>(promise: Promise<T>, what: string): Promise<T> => withDeadline(promise, WAIT_MS, what);

function tcpConfig(port: number): ServiceConfig {
  return serviceConfig({ name: 'bridge', type: 'proxy', connect: { uri: `tcp://127.0.0.1:${port}`, scheme: 'tcp', host: '127.0.0.1', port, path: '/', position: { file: 't.xml' } } });
}

/** A connector whose sockets tell `onData` of every chunk before the gateway's own listener sees it. */
function watchingConnector(onData: (chunk: Buffer) => void): Connector {
  const inner = createConnector();
  return async (target, cancellation) => {
    const socket = await inner(target, cancellation);
    socket.on('data', onData);
    return socket;
  };
}

function pool(open: ReturnType<typeof streamUpstream>['open'], upstream: string, maximumHeldBytes = 64_000, minLifetimeMs?: number): PreparedConnections<PreparedUpstream> {
  return new PreparedConnections<PreparedUpstream>({
    count: 1,
    name: upstream,
    minLifetimeMs,
    ...preparedUpstreams({ open, upstream, maximumHeldBytes, closeReason: () => 'gateway shutting down', log: memoryLog().log }),
  });
}

function text(held: readonly Payload[]): string {
  return held.map((p) => (Buffer.isBuffer(p.data) ? p.data : Buffer.concat(p.data as Buffer[])).toString()).join('');
}

/** How each backend socket ended: 'end' (a FIN from the gateway) or the error it saw (ECONNRESET). */
function endings(backend: Backend): Map<net.Socket, string> {
  const seen = new Map<net.Socket, string>();
  backend.server.on('connection', (s: net.Socket) => {
    s.on('end', () => seen.set(s, seen.get(s) ?? 'end'));
    s.on('error', (e: NodeJS.ErrnoException) => seen.set(s, e.code ?? e.message));
  });
  return seen;
}

test('what a backend sends first is held for the client that takes the connection, which is still open to it', async (t) => {
  const backend = await tcpServer((s) => {
    s.write('220 smtp.example.com ready\r\n');
    s.pipe(s);
  });
  t.after(() => backend.close());
  const seen = endings(backend);
  let reached: () => void = () => undefined;
  const greetingReached = new Promise<void>((resolve) => (reached = resolve));
  const config = tcpConfig(backend.port);
  const upstream = config.connect?.uri ?? '';
  const p = pool(streamUpstream(config, watchingConnector(() => reached()), undefined).open, upstream);
  const down: unknown[] = [];
  p.on('down', (e: unknown) => down.push(e));
  p.start();
  // Seen by the test's listener first, then by the pool's, in the same turn.
  await within(greetingReached, 'the greeting to reach the gateway');
  const taken = p.take();
  assert.ok(taken, 'the connection that holds the greeting is still ready');
  assert.equal(text(taken.held), '220 smtp.example.com ready\r\n');
  assert.deepEqual(down, []);
  const [first] = [...backend.sockets];
  assert.ok(first);
  assert.equal(seen.get(first), undefined, 'the gateway did not close it');

  // Taken, it carries the client's bytes; the pool's replacement opens meanwhile.
  const echoed = new Promise<string>((resolve) => taken.end.attach({ data: (d) => resolve(d.toString()), ended: () => undefined, failed: () => undefined, closed: () => undefined }));
  taken.end.write(Buffer.from('EHLO device-1\r\n'), true, () => undefined);
  assert.equal(await within(echoed, 'the echo on the taken connection'), 'EHLO device-1\r\n');
  taken.end.detach();
  taken.end.destroy();
  await p.stop();
});

test('a connection whose backend sends more than maximum.pending.bytes before a client comes is closed by the gateway with a FIN, and the log says so', async (t) => {
  const backend = await tcpServer((s) => {
    s.write(Buffer.alloc(4096, 'x'));
  });
  t.after(() => backend.close());
  const seen = endings(backend);
  const config = tcpConfig(backend.port);
  const upstream = config.connect?.uri ?? '';
  // However slow the machine, the close counts as coming within the connection's first moments: the pool goes down.
  const p = pool(streamUpstream(config, createConnector(), undefined).open, upstream, 1000, 3_600_000);
  const down = new Promise<GatewayError>((resolve) => p.once('down', resolve));
  const accepted = event<[net.Socket]>(backend.server, 'connection', 'the prepared connection');
  p.start();
  const [first] = await accepted;
  const err = await within(down, 'the pool to go down');
  assert.equal(err.code, 'GW_ERR_UPSTREAM_PREPARED');
  assert.match(err.message, new RegExp(`^the gateway closed a prepared connection to ${upstream} \\d+ ms after it opened: what ${upstream} sent before a client took it outgrew maximum.pending.bytes \\(1000\\)$`));
  if (!seen.has(first)) await event(first, 'end', 'the backend to see the end');
  assert.equal(seen.get(first), 'end', 'a FIN, not a reset');
  await p.stop();
});

test('stop() ends an idle tcp:// connection with a FIN, and settles once it is closed', async (t) => {
  const backend = await tcpServer(() => undefined);
  t.after(() => backend.close());
  const seen = endings(backend);
  const config = tcpConfig(backend.port);
  const p = pool(streamUpstream(config, createConnector(), undefined).open, config.connect?.uri ?? '');
  p.start();
  const [socket] = (await event<[net.Socket]>(backend.server, 'connection', 'the prepared connection')) as [net.Socket];
  const closed = event(socket, 'close', 'the backend socket to close');
  await within(
    new Promise<void>((resolve) => {
      const check = (): void => (p.ready === 1 ? resolve() : void setImmediate(check));
      check();
    }),
    'the connection to be ready',
  );
  await within(p.stop(), 'the stop');
  await closed;
  assert.equal(seen.get(socket), 'end', 'a FIN, not a reset');
});

test('stop() closes an idle ws:// connection with 1001, not by dropping it', async (t) => {
  const { wss, port, uri } = await webSocketBackend(t);
  const closes: { code: number; reason: string }[] = [];
  const connected = new Promise<WebSocket>((resolve) =>
    wss.on('connection', (ws) => {
      ws.on('error', () => undefined);
      ws.on('close', (code: number, reason: Buffer) => closes.push({ code, reason: reason.toString() }));
      resolve(ws);
    }),
  );
  const config = serviceConfig({ name: 'bridge', type: 'proxy', connect: { uri, scheme: 'ws', host: '127.0.0.1', port, path: '/', position: { file: 't.xml' } } });
  const p = pool(webSocketUpstream(config, createWebSocketConnector(), undefined).open, uri);
  p.start();
  const peer = await within(connected, 'the prepared connection');
  await within(
    new Promise<void>((resolve) => {
      const check = (): void => (p.ready === 1 ? resolve() : void setImmediate(check));
      check();
    }),
    'the connection to be ready',
  );
  const peerClosed = event(peer, 'close', 'the backend to see the close');
  await within(p.stop(), 'the stop');
  await peerClosed;
  assert.deepEqual(closes, [{ code: 1001, reason: 'gateway shutting down' }]);
});
