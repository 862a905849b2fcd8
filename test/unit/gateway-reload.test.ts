import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { parseConfig } from '../../src/config/index.js';
import { Gateway } from '../../src/gateway.js';
import { overview } from '../../src/services/management/overview.js';
import { config, doc, parse, proxy } from '../helpers/config.js';
import { memoryLog, type MemoryLog } from '../helpers/memory-log.js';
import { WAIT_MS, event, withDeadline } from '../helpers/deadline.js';
import { deadPort } from '../helpers/tcp-servers.js';

const within = <T>(p: Promise<T>, what: string): Promise<T> => withDeadline(p, WAIT_MS, what);

const echo = (name: string, accept: string, extra = ''): string[] => ['  <service>', `    <name>${name}</name>`, `    <accept>${accept}</accept>`, '    <type>echo</type>', extra, '  </service>'];

function prepared(text: string, logs: MemoryLog, drainTimeoutMs = 1000): Gateway {
  const result = Gateway.prepare(config(parse(text)), { log: logs.log, drainTimeoutMs });
  assert.ok(result.ok);
  return result.gateway;
}

async function started(t: { after(fn: () => unknown): void }, text: string): Promise<{ gateway: Gateway; logs: MemoryLog; port: number }> {
  const logs = memoryLog();
  const gateway = prepared(text, logs);
  const [bound] = await within(gateway.start(), 'the gateway to start');
  assert.ok(bound);
  t.after(() => gateway.stop());
  return { gateway, logs, port: bound.port };
}

async function opened(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await event(ws, 'open', `${url} to open`);
  return ws;
}

/** Reloads `text` and returns the code and reason `ws` is closed with. */
async function closedByReload(gateway: Gateway, logs: MemoryLog, ws: WebSocket, text: string): Promise<[number, string]> {
  const closed = event<[number, Buffer]>(ws, 'close', 'the connection the new rules refuse to be closed');
  await within(gateway.reload(prepared(text, logs)), 'the reload');
  const [code, reason] = await closed;
  return [code, reason.toString()];
}

async function roundTrip(ws: WebSocket, text: string): Promise<string> {
  const reply = event<[Buffer]>(ws, 'message', `the echo of ${text}`);
  ws.send(text);
  return (await reply)[0].toString();
}

function status(url: string): Promise<number | 'open'> {
  const ws = new WebSocket(url);
  ws.on('error', () => undefined);
  return within(
    new Promise((resolve) => {
      ws.once('open', () => {
        ws.close();
        resolve('open');
      });
      ws.once('unexpected-response', (_req, res) => {
        ws.terminate();
        resolve(res.statusCode ?? 0);
      });
    }),
    `${url} to be answered`,
  );
}

test('a reload keeps the bound socket of an address still configured and gives it the new routes; open connections keep their service instance', async (t) => {
  const { gateway, logs, port } = await started(t, doc(...echo('first', 'ws://127.0.0.1:0/a')));
  const old = await opened(`ws://127.0.0.1:${port}/a`);
  const [oldSession] = [...gateway.sessions];
  assert.ok(oldSession);
  const closed = event<[number]>(old, 'close', 'the connection on the removed accept to be closed');

  const bound = await within(gateway.reload(prepared(doc(...echo('second', 'ws://127.0.0.1:0/b')), logs)), 'the reload');
  assert.deepEqual(bound, [], 'nothing new was bound');
  assert.equal(await status(`ws://127.0.0.1:${port}/b`), 'open', 'the same port serves the new accept');
  assert.equal(await status(`ws://127.0.0.1:${port}/a`), 404, 'and no longer the old one');
  assert.equal(gateway.config.services[0]?.name, 'second');
  assert.equal(oldSession.serviceName, 'first', 'the open connection keeps the service it started with');
  // Its accept is gone: it is closed with 1001 within the drain timeout.
  assert.equal((await closed)[0], 1001);
  assert.deepEqual(gateway.reloads.success, 1);
  assert.equal(gateway.reloads.last?.result, 'success');
});

/** A WebSocket echo backend whose upgrades wait until the test answers them: the gateway connects it before its client's. */
async function heldBackend(t: { after(fn: () => unknown): void }): Promise<{ port: number; upgradeArrives(): Promise<void>; answer(): void }> {
  const backend = createHttpServer();
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
  const waiting: (() => void)[] = [];
  const arrived: (() => void)[] = [];
  backend.on('upgrade', (req, socket, head) => {
    waiting.push(() => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
    arrived.shift()?.();
  });
  backend.listen(0, '127.0.0.1');
  await event(backend, 'listening', 'the backend to listen');
  t.after(() => {
    backend.closeAllConnections();
    backend.close();
  });
  return {
    port: (backend.address() as { port: number }).port,
    upgradeArrives: () => within(new Promise<void>((resolve) => (waiting.length > 0 ? resolve() : arrived.push(resolve))), 'the backend to get an upgrade'),
    answer: () => waiting.shift()?.(),
  };
}

/** The status a client's upgrade is answered with, or 'open'. */
function answered(ws: WebSocket): Promise<number | 'open'> {
  ws.on('error', () => undefined);
  return within(
    new Promise((resolve) => {
      ws.once('open', () => resolve('open'));
      ws.once('unexpected-response', (_req, res) => {
        ws.terminate();
        resolve(res.statusCode ?? 0);
      });
    }),
    'the upgrade to be answered',
  );
}

test('a replaced instance keeps serving its clients as its own after its last session closes, and one that reaches it later is closed (1001) when the gateway stops', async (t) => {
  const backend = await heldBackend(t);
  const text = doc(...proxy('p', 'ws://127.0.0.1:0/p', `ws://127.0.0.1:${backend.port}/`));
  const { gateway, logs, port } = await started(t, text);
  const url = `ws://127.0.0.1:${port}/p`;

  const first = new WebSocket(url);
  await backend.upgradeArrives();
  backend.answer();
  await event(first, 'open', 'the first client to open');
  const second = new WebSocket(url);
  await backend.upgradeArrives();
  await within(gateway.reload(prepared(text, logs)), 'the reload');

  // The first client closes: the replaced instance's last session. Its close is its own.
  first.close(1000);
  const line = await logs.waitFor((l) => l['event'] === 'close');
  assert.equal(line['reason'], 'downstream closed (1000)');

  // The second client's upgrade, under way at the reload, completes on the replaced instance.
  backend.answer();
  await event(second, 'open', 'the second client to open');
  assert.equal(await roundTrip(second, 'still served'), 'still served');
  const closed = event<[number]>(second, 'close', 'the second client to be closed');
  await within(gateway.stop(), 'the gateway to stop');
  assert.equal((await closed)[0], 1001);
});

test('a client whose backend was being connected at a reload is judged by the new rules before its upgrade is answered', async (t) => {
  const backend = await heldBackend(t);
  const p = (...extra: string[]): string[] => proxy('p', 'ws://127.0.0.1:0/p', `ws://127.0.0.1:${backend.port}/`, extra);
  const { gateway, logs, port } = await started(t, doc(...p(), ...echo('e', 'ws://127.0.0.1:0/e')));
  const url = `ws://127.0.0.1:${port}/p`;

  // An access-constraint that no longer admits it.
  const refused = answered(new WebSocket(url));
  await backend.upgradeArrives();
  await within(gateway.reload(prepared(doc(...p('<access-constraint><client-address>10.0.0.0/8</client-address></access-constraint>'), ...echo('e', 'ws://127.0.0.1:0/e')), logs)), 'the reload');
  backend.answer();
  assert.equal(await refused, 403);
  const line = await logs.waitFor((l) => l['code'] === 'GW_ERR_ACCESS_DENIED');
  assert.equal(line['msg'], 'access refused');

  // Its service gone: the accept is no one's.
  await within(gateway.reload(prepared(doc(...p(), ...echo('e', 'ws://127.0.0.1:0/e')), logs)), 'the reload that admits it again');
  const gone = answered(new WebSocket(url));
  await backend.upgradeArrives();
  await within(gateway.reload(prepared(doc(...echo('e', 'ws://127.0.0.1:0/e')), logs)), 'the reload that removes it');
  backend.answer();
  assert.equal(await gone, 404);
});

test('an accept moved to another address by ws.bind closes its open connections gently (1001), not at once', async (t) => {
  const { gateway, logs, port } = await started(t, doc(...echo('first', 'ws://127.0.0.1:0/a')));
  const old = await opened(`ws://127.0.0.1:${port}/a`);
  const closed = event<[number, Buffer]>(old, 'close', 'the connection on the address no longer bound to be closed');
  const moved = doc(...echo('first', 'ws://127.0.0.1:0/a', '<accept-options><ws.bind>127.0.0.2:0</ws.bind></accept-options>'));
  const [bound] = await within(gateway.reload(prepared(moved, logs)), 'the reload');
  assert.equal(bound?.address, '127.0.0.2');
  const [code, reason] = await closed;
  assert.equal(code, 1001);
  assert.equal(reason.toString(), 'accept removed');
});

test('a configuration that does not prepare, or a new address that cannot be bound, changes nothing and counts as a failed reload', async (t) => {
  const { gateway, logs, port } = await started(t, doc(...echo('first', 'ws://127.0.0.1:0/a')));
  const broken = doc(...echo('first', 'wss://127.0.0.1:0/a'), '  <security><keystore><file>missing.p12</file></keystore></security>');
  // The keystore is missing, so this does not even prepare: the CLI counts that through reloadFailed().
  assert.equal(Gateway.prepare(config(parse(broken)), { log: logs.log }).ok, false);
  gateway.reloadFailed(new Error('keystore missing'));

  const blocker = createServer();
  blocker.listen(0, '127.0.0.2');
  await event(blocker, 'listening');
  t.after(() => blocker.close());
  const taken = (blocker.address() as { port: number }).port;
  const next = prepared(doc(...echo('first', 'ws://127.0.0.1:0/a'), ...echo('other', `ws://127.0.0.2:${taken}/x`)), logs);
  await assert.rejects(gateway.reload(next), (e: Error & { code?: string }) => e.code === 'GW_ERR_BIND');
  assert.equal(await status(`ws://127.0.0.1:${port}/a`), 'open', 'the old state is in force');
  assert.deepEqual({ success: gateway.reloads.success, failure: gateway.reloads.failure }, { success: 0, failure: 2 });
  assert.equal(gateway.reloads.last?.result, 'failure');
  // What `status` and /api/status show: that the file on disk is not what runs, and why.
  const shown = overview(gateway.management).lastReload;
  assert.equal(shown?.result, 'failure');
  assert.match(shown?.error ?? '', /127\.0\.0\.2/);
});

test('a listener switching between a WebSocket and a byte-stream accept is refused with GW_ERR_RELOAD', async (t) => {
  const { gateway, logs } = await started(t, doc(...echo('first', 'ws://127.0.0.1:0/a')));
  const stream = prepared(doc(...echo('first', 'tcp://127.0.0.1:0')), logs);
  await assert.rejects(
    gateway.reload(stream),
    (e: Error & { code?: string; position?: { line?: number }; hint?: string }) =>
      e.code === 'GW_ERR_RELOAD' && /HTTP to a byte stream: that needs a restart/.test(e.message) && e.position?.line !== undefined && /^wanted by tcp:\/\//.test(e.hint ?? ''),
  );
});

test("an accept is its service's: connections whose service no longer has theirs are closed (1001), not judged by the service that took it", async (t) => {
  const constraint = '    <access-constraint><client-address>10.0.0.0/8</client-address></access-constraint>';
  const { gateway, logs, port } = await started(t, doc(...echo('a', 'ws://127.0.0.1:0/a'), ...echo('b', 'ws://127.0.0.1:0/b')));
  const onA = await opened(`ws://127.0.0.1:${port}/a`);
  const onB = await opened(`ws://127.0.0.1:${port}/b`);
  const closedA = event<[number, Buffer]>(onA, 'close', 'the connection on /a to be closed');
  const closedB = event<[number, Buffer]>(onB, 'close', 'the connection on /b to be closed');
  // The two services swap their paths; the one now on /a admits no one these clients could be.
  await gateway.reload(prepared(doc(...echo('a', 'ws://127.0.0.1:0/b'), ...echo('b', 'ws://127.0.0.1:0/a', constraint)), logs));
  for (const [code, reason] of [await closedA, await closedB]) {
    assert.equal(code, 1001);
    assert.equal(reason.toString(), 'accept removed');
  }
  assert.equal(gateway.policyCloses.get('access'), undefined, 'no connection was judged by the rules of a service it is not on');

  // A service that moves to another path, and another that takes its old one, unrestricted.
  const onB2 = await opened(`ws://127.0.0.1:${port}/b`);
  const closedB2 = event<[number, Buffer]>(onB2, 'close', 'the connection of the service that moved to be closed');
  await gateway.reload(prepared(doc(...echo('a', 'ws://127.0.0.1:0/moved'), ...echo('c', 'ws://127.0.0.1:0/b')), logs));
  const [code, reason] = await closedB2;
  assert.equal(code, 1001);
  assert.equal(reason.toString(), 'accept removed');
});

test('a cross-site-constraint that no longer allows a browser\'s Origin closes its connection with 1008; one that sends no Origin stays', async (t) => {
  const allow = '    <cross-site-constraint><allow-origin>https://app.example.com</allow-origin></cross-site-constraint>';
  const { gateway, logs, port } = await started(t, doc(...echo('svc', 'ws://127.0.0.1:0/a', allow)));
  const url = `ws://127.0.0.1:${port}/a`;
  const page = new WebSocket(url, { origin: 'https://app.example.com' });
  await event(page, 'open', 'the page\'s connection to open');
  const device = await opened(url);
  const other = '    <cross-site-constraint><allow-origin>https://other.example.com</allow-origin></cross-site-constraint>';
  assert.deepEqual(await closedByReload(gateway, logs, page, doc(...echo('svc', 'ws://127.0.0.1:0/a', other))), [1008, 'origin no longer allowed']);
  assert.equal(gateway.policyCloses.get('origin'), 1);
  assert.equal(await roundTrip(device, 'still here'), 'still here', 'a client that sends no Origin is not judged by it');
  device.close();
});

test('an access-constraint that no longer admits a live connection closes it with 1008, logged and counted', async (t) => {
  const { gateway, logs, port } = await started(t, doc(...echo('svc', 'ws://127.0.0.1:0/a')));
  const live = await opened(`ws://127.0.0.1:${port}/a`);
  assert.equal(await roundTrip(live, 'x'), 'x');
  const constraint = '    <access-constraint><client-address>10.0.0.0/8</client-address></access-constraint>';
  assert.deepEqual(await closedByReload(gateway, logs, live, doc(...echo('svc', 'ws://127.0.0.1:0/a', constraint))), [1008, 'access-constraint no longer satisfied']);
  assert.equal(gateway.policyCloses.get('access'), 1);
  const line = logs.lines.find((l) => l['code'] === 'GW_ERR_SESSION_CLOSED');
  assert.equal(line?.['rule'], 'access');
  const closeLine = await logs.waitFor((l) => l['event'] === 'close');
  assert.equal(closeLine['reason'], 'closed by the gateway (1008): access-constraint no longer satisfied');
});

test('a drain with no session to close still serves a client whose request was under way, then stops', async (t) => {
  const { gateway, logs, port } = await started(t, doc(...echo('svc', 'ws://127.0.0.1:0/a')));
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  t.after(() => socket.destroy());
  await event(socket, 'connect', 'the TCP connection');
  const request = 'GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
  socket.write(request.slice(0, 16));
  const reply = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString('latin1').split('\r\n')[0] ?? '')));
  const drained = gateway.drain();
  await logs.waitFor((l) => String(l['msg']).startsWith('Draining: not accepting; closing 0 connections'));
  socket.write(request.slice(16));
  assert.equal(await within(reply, 'the answer to the upgrade'), 'HTTP/1.1 101 Switching Protocols');
  await within(drained, 'the drain to finish');
});

/** A started gateway whose one service serves `file` from a directory, at http://127.0.0.1:PORT/NAME. */
async function pages(t: { after(fn: () => unknown): void }, name: string, content: string | Buffer): Promise<{ gateway: Gateway; logs: MemoryLog; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-pages-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'web'));
  writeFileSync(join(dir, 'web', name), content);
  const service = ['  <service>', '    <name>pages</name>', '    <accept>http://127.0.0.1:0/</accept>', '    <type>directory</type>', '    <properties>', '      <directory>/</directory>', '    </properties>', '  </service>'];
  // The directory is read from the web folder beside the configuration's folder, as Kaazing reads it.
  const logs = memoryLog();
  const result = Gateway.prepare(config(parseConfig(doc(...service), join(dir, 'conf', 'gateway-config.xml'), { hostname: 'gw.example.com' })), { log: logs.log, drainTimeoutMs: 1000 });
  assert.ok(result.ok);
  const gateway = result.gateway;
  const [bound] = await within(gateway.start(), 'the gateway to start');
  assert.ok(bound);
  t.after(() => gateway.stop());
  return { gateway, logs, port: bound.port };
}

test('a drain with no session to close answers a plain request under way in full, and closes its connection', async (t) => {
  const { gateway, logs, port } = await pages(t, 'index.html', 'PAGE');
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  t.after(() => socket.destroy());
  await event(socket, 'connect', 'the TCP connection');
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
  const closed = once(socket, 'close');
  socket.write('GET /index.html HTTP/1.1\r\n');
  const drained = gateway.drain();
  await logs.waitFor((l) => String(l['msg']).startsWith('Draining: not accepting; closing 0 connections'));
  socket.write('Host: 127.0.0.1\r\n\r\n');
  await within(closed, 'the connection to be closed after its answer');
  assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(answer, /\r\nConnection: close\r\n/i);
  assert.ok(answer.endsWith('\r\n\r\nPAGE'), answer);
  await within(drained, 'the drain to finish');
});

test('a malformed request pipelined behind a response being written cuts the connection rather than splicing a 400 into that body', async (t) => {
  const { port } = await pages(t, 'big.dat', Buffer.alloc(8 * 1024 * 1024, 'a'));
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  t.after(() => socket.destroy());
  await event(socket, 'connect', 'the TCP connection');
  const chunks: Buffer[] = [];
  socket.write('GET /big.dat HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  // The answer has begun (its head is written) before the malformed request comes.
  await event(socket, 'readable', 'the answer to begin');
  socket.write('NOT HTTP AT ALL\r\n\r\n');
  socket.on('data', (d: Buffer) => chunks.push(d));
  await within(once(socket, 'close'), 'the connection to end');
  const answer = Buffer.concat(chunks).toString('latin1');
  const head = answer.indexOf('\r\n\r\n');
  assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
  const body = answer.slice(head + 4);
  assert.ok(!body.includes('HTTP/1.1'), 'the body holds another answer');
  assert.ok(/^a*$/.test(body), 'the body is the file alone');
});

test('readiness is empty once started, names a draining gateway, and a drain ends stopped', async (t) => {
  const { gateway, port } = await started(t, doc(...echo('svc', 'ws://127.0.0.1:0/a')));
  assert.deepEqual(gateway.readiness(), []);
  const ws = await opened(`ws://127.0.0.1:${port}/a`);
  const closed = event<[number]>(ws, 'close', 'the client to be closed by the drain');
  const drained = gateway.drain();
  assert.equal(gateway.drain(), drained, 'one drain');
  assert.deepEqual(gateway.readiness().slice(0, 1), ['gateway is draining']);
  assert.equal((await closed)[0], 1001);
  await within(drained, 'the drain to finish');
  assert.deepEqual(gateway.readiness(), ['gateway is stopped'], 'listeners closed on purpose are not said to be unbound');
});

test("a service whose backend is down makes the gateway unready only for a probe that names it", async (t) => {
  const dead = await deadPort();
  const proxy = ['  <service>', '    <name>telemetry</name>', '    <accept>ws://127.0.0.1:0/t</accept>', `    <connect>tcp://127.0.0.1:${dead}</connect>`, '    <type>proxy</type>', '    <properties><maximum.recovery.interval>30</maximum.recovery.interval></properties>', '  </service>'];
  const { gateway, port } = await started(t, doc(...proxy, ...echo('svc', 'ws://127.0.0.1:0/a')));
  const ws = new WebSocket(`ws://127.0.0.1:${port}/t`);
  ws.on('error', () => undefined);
  assert.equal((await event<[number]>(ws, 'close', 'the client of the unreachable backend to be closed'))[0], 1011);
  assert.deepEqual(gateway.readiness(), [], 'a backend every gateway may share does not take this one out');
  assert.deepEqual(gateway.readiness(['telemetry', 'svc', 'nope']), ['service "telemetry" is unavailable', 'no service "nope"']);
});

test('a refusal line says event refused and the listening address it came to, as the metrics label it', async (t) => {
  const { logs, port } = await started(t, doc(...echo('first', 'ws://127.0.0.1:0/a')));
  assert.equal(await status(`ws://127.0.0.1:${port}/nowhere`), 404);
  const line = logs.lines.find((l) => l['code'] === 'GW_ERR_NO_SERVICE');
  assert.equal(line?.['event'], 'refused');
  assert.equal(line?.['listener'], '127.0.0.1:0');
});
