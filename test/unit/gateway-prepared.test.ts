/**
 * `connect.strategy prepared` through a whole gateway (tcp:// accepts, real backends on port 0): a backend that
 * speaks first greets the client that takes its prepared connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Gateway } from '../../src/gateway.js';
import { createConnector, type Connector } from '../../src/upstream/connector.js';
import { config, doc, parse } from '../helpers/config.js';
import { WAIT_MS, withDeadline } from '../helpers/deadline.js';
import { memoryLog, type MemoryLog } from '../helpers/memory-log.js';
import { receiveBytes, tcpServer } from '../helpers/tcp-servers.js';

const within = <T>(p: Promise<T>, what: string): Promise<T> => withDeadline(p, WAIT_MS, what);

function bridge(name: string, connect: string): string[] {
  return [
    '  <service>',
    `    <name>${name}</name>`,
    '    <accept>tcp://127.0.0.1:0</accept>',
    `    <connect>${connect}</connect>`,
    '    <type>proxy</type>',
    `    <properties><connect.strategy>prepared</connect.strategy><prepared.connection.count>1</prepared.connection.count></properties>`,
    '  </service>',
  ];
}

function prepared(text: string, logs: MemoryLog, connectors: { connector?: Connector } = {}): Gateway {
  const result = Gateway.prepare(config(parse(text)), { log: logs.log, drainTimeoutMs: 1000, ...connectors });
  assert.ok(result.ok);
  return result.gateway;
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
