import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { Gateway } from '../../../src/gateway.js';
import { SessionRegistry } from '../../../src/services/sessions.js';
import type { End } from '../../../src/pipe/ends.js';
import type { Service } from '../../../src/services/types.js';
import { config, doc, parse, proxy } from '../../helpers/config.js';
import { memoryLog } from '../../helpers/memory-log.js';
import { tcpEcho } from '../../helpers/tcp-servers.js';
import { WAIT_MS, event, withDeadline } from '../../helpers/deadline.js';

const within = <T>(p: Promise<T>, what: string): Promise<T> => withDeadline(p, WAIT_MS, what);

/** Resolves once `check` holds, looking again after each turn of the event loop; bounded by the deadline. */
function until(check: () => boolean, what: string): Promise<void> {
  return within(
    new Promise<void>((resolve) => {
      const look = (): void => (check() ? resolve() : void setImmediate(look));
      look();
    }),
    what,
  );
}

async function started(t: { after(fn: () => unknown): void }, text: string): Promise<{ gateway: Gateway; ports: Map<string, number> }> {
  const prepared = Gateway.prepare(config(parse(text)), { log: memoryLog().log });
  assert.ok(prepared.ok);
  const gateway = prepared.gateway;
  const bound = await within(gateway.start(), 'the gateway to start');
  t.after(() => gateway.stop());
  return { gateway, ports: new Map(bound.map((b) => [b.service, b.port])) };
}

test('a WebSocket client is a live session from admission to close, with identity, addresses and live byte counts', async (t) => {
  const { gateway, ports } = await started(t, doc('  <service>', '    <name>echo</name>', '    <accept>ws://127.0.0.1:0/echo</accept>', '    <type>echo</type>', '  </service>'));
  assert.equal(gateway.sessions.size, 0);
  const client = new WebSocket(`ws://127.0.0.1:${ports.get('echo')}/echo/a?x=1`);
  await event(client, 'open', 'the client to open');
  await until(() => gateway.sessions.size === 1, 'the session to be registered');
  const [session] = [...gateway.sessions];
  assert.ok(session);
  assert.equal(gateway.sessions.get(session.id), session);
  assert.equal(session.serviceName, 'echo');
  assert.equal(session.accept, 'ws://127.0.0.1:0/echo');
  assert.equal(session.path, '/echo/a');
  assert.equal(session.downstreamAddress, '127.0.0.1');
  assert.equal(session.downstreamPort, (client as unknown as { _socket: { localPort: number } })._socket.localPort);
  assert.equal(session.identity, undefined);
  assert.ok(session.openedAt <= Date.now());
  client.send('hello');
  await event(client, 'message', 'the echo');
  assert.deepEqual(session.traffic, { bytesIn: 5, bytesOut: 5 }, 'counted while the connection is open');

  const closed = event<[number, Buffer]>(client, 'close', 'the client to be closed');
  session.close(1008, 'certificate revoked');
  const [code, reason] = await closed;
  assert.equal(code, 1008);
  assert.equal(reason.toString(), 'certificate revoked');
  await until(() => gateway.sessions.size === 0, 'the session to be released');
  assert.equal(gateway.sessions.get(session.id), undefined);
});

test('proxied byte-stream and WebSocket clients are sessions too; a policy close resets a byte stream at once', async (t) => {
  const backend = await tcpEcho();
  t.after(() => backend.close());
  const text = doc(
    ...proxy('ws', 'ws://127.0.0.1:0/p', `tcp://127.0.0.1:${backend.port}`),
    ...proxy('tcp', 'tcp://127.0.0.2:0', `tcp://127.0.0.1:${backend.port}`),
  );
  const { gateway, ports } = await started(t, text);
  const ws = new WebSocket(`ws://127.0.0.1:${ports.get('ws')}/p`);
  await event(ws, 'open', 'the WebSocket client');
  ws.send(Buffer.from('abc'));
  await event(ws, 'message', 'the proxied echo');
  const raw = connect(ports.get('tcp') ?? 0, '127.0.0.2');
  await event(raw, 'connect', 'the byte-stream client');
  raw.write('12345678');
  await event(raw, 'data', 'the proxied bytes');
  await until(() => gateway.sessions.size === 2, 'both sessions');
  const byService = new Map([...gateway.sessions].map((s) => [s.serviceName, s]));
  assert.deepEqual(byService.get('ws')?.traffic, { bytesIn: 3, bytesOut: 3 });
  assert.deepEqual(byService.get('tcp')?.traffic, { bytesIn: 8, bytesOut: 8 });

  const rawReset = event<[NodeJS.ErrnoException]>(raw, 'error', 'the byte-stream client to be reset');
  byService.get('tcp')?.close(1008, 'access-constraint');
  assert.equal((await rawReset)[0].code, 'ECONNRESET');
  const wsClosed = event<[number]>(ws, 'close', 'the WebSocket client to be closed');
  byService.get('ws')?.close(1001, 'going away');
  assert.equal((await wsClosed)[0], 1001);
  await until(() => gateway.sessions.size === 0, 'both sessions released');
});

test('a client that does not answer a close is dropped at the grace deadline; whenEmpty fires with the last session', () => {
  let now = 0;
  const timers: { fn: () => void; at: number }[] = [];
  const clock = {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => {
      const t = { fn, at: now + ms };
      timers.push(t);
      return t;
    },
    clearTimeout: (h: unknown) => {
      const i = timers.indexOf(h as { fn: () => void; at: number });
      if (i >= 0) timers.splice(i, 1);
    },
  };
  const registry = new SessionRegistry({ closeGraceMs: 100, clock });
  const calls: string[] = [];
  const end = (name: string): End =>
    ({
      kind: 'messages',
      close: (code: number) => calls.push(`${name} close ${code}`),
      destroy: () => calls.push(`${name} destroy`),
    }) as unknown as End;
  const service = { config: { name: 's' } } as unknown as Service;
  const init = (id: string) => ({ id, service, accept: 'ws://x/', path: '/', downstreamAddress: '127.0.0.1', downstreamPort: 1, identity: undefined, openedAt: 0, traffic: { bytesIn: 0, bytesOut: 0 }, end: end(id) });
  const a = registry.open(init('a'));
  const b = registry.open(init('b'));
  assert.equal(registry.countFor(service), 2);
  let emptied = 0;
  registry.whenEmpty(service, () => emptied++);
  a.close(1001, 'bye');
  a.close(1008, 'again');
  assert.deepEqual(a.closing, { code: 1001, reason: 'bye' }, 'the first close decides');
  b.close(1001, 'bye');
  registry.release(b); // b answered
  now = 100;
  for (const t of timers.splice(0)) t.fn();
  assert.deepEqual(calls, ['a close 1001', 'b close 1001', 'a destroy']);
  assert.equal(emptied, 0);
  registry.release(a);
  registry.release(a);
  assert.equal(emptied, 1);
  assert.equal(registry.size, 0);
  assert.equal(registry.countFor(service), 0);
});
