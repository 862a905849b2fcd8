/**
 * `connect.strategy prepared` through a whole gateway (tcp:// accepts, real backends on port 0): a backend that
 * speaks first greets the client that takes its prepared connection, and a drain or a reload closes the idle ones
 * as it closes clients: a WebSocket backend gets a close frame with 1001, not a dropped connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { WebSocket } from 'ws';
import { Gateway } from '../../src/gateway.js';
import { createConnector, type Connector } from '../../src/upstream/connector.js';
import { createWebSocketConnector, type WebSocketConnector } from '../../src/upstream/ws-connector.js';
import { config, doc, parse } from '../helpers/config.js';
import { WAIT_MS, event, withDeadline } from '../helpers/deadline.js';
import { memoryLog, type MemoryLog } from '../helpers/memory-log.js';
import { receiveBytes, tcpServer } from '../helpers/tcp-servers.js';
import { webSocketBackend } from '../helpers/ws-backend.js';

const within = <T>(p: Promise<T>, what: string): Promise<T> => withDeadline(p, WAIT_MS, what);

function bridge(name: string, connect: string, count = 1): string[] {
  return [
    '  <service>',
    `    <name>${name}</name>`,
    '    <accept>tcp://127.0.0.1:0</accept>',
    `    <connect>${connect}</connect>`,
    '    <type>proxy</type>',
    `    <properties><connect.strategy>prepared</connect.strategy><prepared.connection.count>${count}</prepared.connection.count></properties>`,
    '  </service>',
  ];
}

function prepared(text: string, logs: MemoryLog, connectors: { connector?: Connector; webSocketConnector?: WebSocketConnector } = {}): Gateway {
  const result = Gateway.prepare(config(parse(text)), { log: logs.log, drainTimeoutMs: 1000, ...connectors });
  assert.ok(result.ok);
  return result.gateway;
}

/** Lets the pool's promise chain after a connect resolves finish: microtasks only, all run before the next turn. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A ws:// backend on port 0: its accepted connections, and how the first of them was closed. */
async function watchedWebSocketBackend(t: { after(fn: () => unknown): void }): Promise<{ uri: string; firstClose: () => Promise<{ code: number; reason: string }>; connection: () => Promise<WebSocket> }> {
  const { wss, uri } = await webSocketBackend(t);
  let closed: (close: { code: number; reason: string }) => void = () => undefined;
  const firstClose = new Promise<{ code: number; reason: string }>((resolve) => (closed = resolve));
  wss.on('connection', (ws) => {
    ws.on('error', () => undefined);
    ws.on('close', (code: number, reason: Buffer) => closed({ code, reason: reason.toString() }));
  });
  return {
    uri,
    firstClose: () => within(firstClose, 'the backend to see a prepared connection close'),
    connection: () => event<[WebSocket]>(wss, 'connection', 'a connection to the backend').then(([ws]) => ws),
  };
}

/** A WebSocket connector that resolves `handedOver` once it has handed a connection to the gateway. */
function watchedWebSocketConnector(): { connector: WebSocketConnector; handedOver: () => Promise<void> } {
  const inner = createWebSocketConnector();
  let waiting: (() => void) | undefined;
  return {
    connector: async (target, upgrade, cancellation) => {
      const opened = await inner(target, upgrade, cancellation);
      waiting?.();
      return opened;
    },
    handedOver: () => within(new Promise<void>((resolve) => (waiting = resolve)), 'a backend connection handed to the gateway').then(nextTurn),
  };
}

test('a backend that speaks first: its greeting, held on the prepared connection, is the first thing its client reads', async (t) => {
  const GREETING = '220 mail.example.com ESMTP ready\r\n';
  const received = new Map<net.Socket, string>();
  const backend = await tcpServer((s) => {
    received.set(s, '');
    s.write(GREETING);
    s.on('data', (d: Buffer) => {
      received.set(s, (received.get(s) ?? '') + d.toString());
      s.write(`250 ${d.toString()}`);
    });
  });
  t.after(() => backend.close());
  // The test learns when the greeting reached the gateway's socket: its listener runs just before the gateway's.
  let reached: () => void = () => undefined;
  const greetingReached = new Promise<void>((resolve) => (reached = resolve));
  const inner = createConnector();
  const connector: Connector = async (target, cancellation) => {
    const socket = await inner(target, cancellation);
    socket.once('data', () => reached());
    return socket;
  };
  const logs = memoryLog();
  const gateway = prepared(doc(...bridge('mail', `tcp://127.0.0.1:${backend.port}`)), logs, { connector });
  const [bound] = await within(gateway.start(), 'the gateway to start');
  assert.ok(bound);
  t.after(() => gateway.stop());
  await within(greetingReached, 'the greeting to reach the prepared connection');

  const client = net.connect(bound.port, '127.0.0.1');
  t.after(() => client.destroy());
  const greeting = receiveBytes(client, GREETING.length);
  assert.equal((await greeting).toString(), GREETING, 'the greeting first, whole');
  const reply = receiveBytes(client, 'HELO device\r\n'.length + 4);
  client.write('HELO device\r\n');
  assert.equal((await reply).toString(), '250 HELO device\r\n');
  const [first] = received.keys();
  assert.equal(first && received.get(first), 'HELO device\r\n', 'the client was given the prepared connection, not one of its own');
  client.end();
  const close = await logs.waitFor((l) => l['event'] === 'close');
  assert.equal(close['bytesOut'], GREETING.length + '250 HELO device\r\n'.length, 'the greeting is counted as sent to the client');
  assert.deepEqual(
    logs.lines.filter((l) => l['level'] === 40 && l['upstream'] !== undefined).map((l) => l['msg']),
    [],
    'nothing was closed and replaced',
  );
});

/** A started gateway whose `uplink` service holds one prepared connection to a ws:// backend, no client on it. */
async function bridgeWithIdleConnection(t: { after(fn: () => unknown): void }) {
  const backend = await watchedWebSocketBackend(t);
  const watched = watchedWebSocketConnector();
  const logs = memoryLog();
  const gateway = prepared(doc(...bridge('uplink', backend.uri)), logs, { webSocketConnector: watched.connector });
  const handedOver = watched.handedOver();
  await within(gateway.start(), 'the gateway to start');
  t.after(() => gateway.stop());
  await handedOver;
  return { backend, logs, gateway };
}

test('a drain closes an idle prepared connection to a ws:// backend with 1001 at once, and says so', async (t) => {
  const { backend, logs, gateway } = await bridgeWithIdleConnection(t);

  await within(gateway.drain(), 'the drain');
  assert.deepEqual(await backend.firstClose(), { code: 1001, reason: 'gateway shutting down' }, 'a close frame, not a connection dropped (1006)');
  const draining = logs.lines.find((l) => String(l['msg']).startsWith('Draining:'));
  assert.equal(draining?.['msg'], 'Draining: not accepting; closing 0 connections (1001) over 1 s, and 1 idle prepared connection to backends now');
  assert.equal(draining?.['preparedConnections'], 1);
});

test('a reload that replaces the service closes its idle prepared connections with 1001 at once', async (t) => {
  const { backend, logs, gateway } = await bridgeWithIdleConnection(t);

  const replacement = backend.connection();
  await within(gateway.reload(prepared(doc(...bridge('uplink', backend.uri, 1)), logs)), 'the reload');
  await within(replacement, "the new configuration's prepared connection");
  assert.deepEqual(await backend.firstClose(), { code: 1001, reason: 'service reconfigured' }, 'a close frame, not a connection dropped (1006)');
  const line = await within(logs.waitFor((l) => l['preparedConnections'] === 1), 'the reload to say what it closes');
  assert.equal(line['msg'], '1 idle prepared connection of the replaced configuration: closing it (1001, or a FIN)');
});
