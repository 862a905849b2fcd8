import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { WebSocket } from 'ws';
import { AggregateGatewayError } from '../../src/errors.js';
import { Gateway } from '../../src/gateway.js';
import { config, doc, parse } from '../helpers/config.js';
import { memoryLog } from '../helpers/memory-log.js';
import { countingResolver } from '../helpers/resolver.js';
import type { HostResolver } from '../../src/upstream/resolver.js';
import { WAIT_MS, event, withDeadline } from '../helpers/deadline.js';

const ECHO = doc('  <service>', '    <name>echo</name>', '    <accept>ws://127.0.0.1:0/echo</accept>', '    <type>echo</type>', '  </service>');

test('stop() gives every caller the same promise, settled only once the stop is complete', async () => {
  const logs = memoryLog();
  const prepared = Gateway.prepare(config(parse(ECHO)), { log: logs.log });
  assert.ok(prepared.ok);
  const gateway = prepared.gateway;
  const [bound] = await withDeadline(gateway.start(), WAIT_MS, 'the gateway to start');
  assert.ok(bound);
  // An open client gives the stop something to close, so that it cannot complete in the same turn.
  const client = new WebSocket(`ws://127.0.0.1:${bound.port}/echo`);
  await event(client, 'open', 'the client to open');
  const clientClosed = event<[number]>(client, 'close', 'the client to be closed');

  const first = gateway.stop();
  const second = gateway.stop();
  await withDeadline(second, WAIT_MS, 'the second stop()');
  assert.ok(
    logs.lines.some((l) => l['msg'] === 'Stopped server'),
    'when the second call settles, the stop is complete',
  );
  assert.equal(second, first, 'both callers hold the same promise');
  assert.equal(gateway.stop(), first, 'a call after the stop gets the same settled promise');
  assert.equal((await clientClosed)[0], 1001);
});

/** A server bound to `host` on a port of the system's choosing, closed when the test ends. */
async function holding(t: { after(fn: () => unknown): void }, host: string, port = 0): Promise<Server> {
  const server = createServer();
  server.listen(port, host);
  await event(server, 'listening', `${host}:${port} to be bound`);
  t.after(() => server.close());
  return server;
}

test('a start with two addresses in use reports both, each at its accept, and closes again the address it did bind', async (t) => {
  const [first, second] = [await holding(t, '127.0.0.1'), await holding(t, '127.0.0.1')].map((s) => (s.address() as AddressInfo).port);
  // Bound between the two failures: a port the system gave and took back just now.
  const probe = await holding(t, '127.0.0.1');
  const free = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const freeAccept = `ws://127.0.0.1:${free}/free`;
  const echo = (name: string, accept: string): string[] => ['  <service>', `    <name>${name}</name>`, `    <accept>${accept}</accept>`, '    <type>echo</type>', '  </service>'];
  const text = doc(...echo('one', `ws://127.0.0.1:${first}/one`), ...echo('free', freeAccept), ...echo('two', `ws://127.0.0.1:${second}/two`));
  const prepared = Gateway.prepare(config(parse(text)), { log: memoryLog().log });
  assert.ok(prepared.ok);

  const failure = await withDeadline(prepared.gateway.start().then(() => undefined, (e: unknown) => e), WAIT_MS, 'the start to fail');
  assert.ok(failure instanceof AggregateGatewayError, `every failure is thrown, not only the first: ${String(failure)}`);
  assert.equal(failure.code, 'GW_ERR_BIND');
  assert.deepEqual(
    failure.errors.map((e) => [e.code, e.position?.line, e.hint]),
    [
      ['GW_ERR_BIND', 4, `wanted by ws://127.0.0.1:${first}/one of service "one"`],
      ['GW_ERR_BIND', 14, `wanted by ws://127.0.0.1:${second}/two of service "two"`],
    ],
  );
  assert.deepEqual(prepared.gateway.listenerOverview().map((l) => l.listening), [false, false, false]);
  // The address that did bind is given back: it can be bound again at once.
  await holding(t, '127.0.0.1', free);
});

/** A proxy to an echo backend named `host` (with `options` in its connect-options), and three clients through it. */
async function echoThroughProxy(t: { after(fn: () => unknown): void }, host: string, options: string, resolver: HostResolver): Promise<void> {
  const backend = createServer((s) => s.pipe(s));
  backend.listen(0, '127.0.0.1');
  await event(backend, 'listening', 'the backend to listen');
  t.after(() => backend.close());
  const port = (backend.address() as AddressInfo).port;
  const text = doc('  <service>', '    <name>p</name>', '    <accept>ws://127.0.0.1:0/p</accept>', `    <connect>tcp://${host}:${port}</connect>`, '    <type>proxy</type>', `    <connect-options>${options}</connect-options>`, '  </service>');
  const prepared = Gateway.prepare(config(parse(text)), { log: memoryLog().log, resolver });
  assert.ok(prepared.ok);
  const [bound] = await withDeadline(prepared.gateway.start(), WAIT_MS, 'the gateway to start');
  t.after(() => prepared.gateway.stop());
  for (const text of ['one', 'two', 'three']) {
    const client = new WebSocket(`ws://127.0.0.1:${bound?.port}/p`);
    await event(client, 'open', 'the client to open');
    client.send(text);
    const [echoed] = await event<[Buffer]>(client, 'message', 'the echo through the backend');
    assert.equal(echoed.toString(), text);
    client.close();
    await event(client, 'close', 'the client to close');
  }
}

test('a proxy connects to its backend by name through the resolver, one lookup for many clients (tcp.resolve.ttl)', async (t) => {
  const { resolver, lookups } = countingResolver();
  await echoThroughProxy(t, 'backend.test', '', resolver);
  assert.deepEqual(lookups, ['backend.test']);
});

test('tcp.resolve.ttl 0: every client has the name looked up by the system, none kept', async (t) => {
  const { resolver, lookups } = countingResolver();
  await echoThroughProxy(t, 'localhost', '<tcp.resolve.ttl>0</tcp.resolve.ttl>', resolver);
  assert.deepEqual(lookups, []);
  assert.equal(resolver.size, 0);
});
