/** Proxy behaviour a Kaazing user relies on, end to end: limits, connect strategies, ssl:// backends, recovery. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { WebSocket } from 'ws';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { PEM_SECURITY, workspace, type Workspace } from '../helpers/e2e-setup.js';
import { testPki } from '../helpers/pki.js';
import { deadPort, tcpEcho, type Backend } from '../helpers/tcp-servers.js';
import { WAIT_MS, event, withDeadline } from '../helpers/deadline.js';

function url(gw: GatewayProcess, accept: string): string {
  return accept.replace(':0/', `:${gw.port(accept)}/`);
}

function open(address: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<WebSocket> {
  const ws = new WebSocket(address, options);
  return event(ws, 'open', `${address} to open`).then(() => ws);
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  const close = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })),
  );
  return withDeadline(close, WAIT_MS, `${ws.url} to close`);
}

function roundTrip(ws: WebSocket, text: string): Promise<string> {
  const reply = new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString())));
  ws.send(text);
  return withDeadline(reply, WAIT_MS, `the echo of "${text}"`);
}

function tlsEcho(cert: string, key: string): Promise<{ server: TlsServer; port: number }> {
  const server = createTlsServer({ cert, key }, (s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  return event(server, 'listening', 'the TLS backend to listen').then(() => ({ server, port: (server.address() as { port: number }).port }));
}

describe('proxy options', () => {
  let space: Workspace;
  let echoBackend: Backend;
  let deferredBackend: Backend;
  let trustedTls: { server: TlsServer; port: number };
  let untrustedTls: { server: TlsServer; port: number };
  let gw: GatewayProcess;
  const pki = testPki();

  before(async () => {
    space = workspace();
    echoBackend = await tcpEcho();
    deferredBackend = await tcpEcho();
    trustedTls = await tlsEcho(pki.server.cert + pki.ca.cert, pki.server.key);
    const rogue = pki.untrustedClient; // a certificate from a CA the gateway does not trust
    untrustedTls = await tlsEcho(rogue.cert, rogue.key);
    gw = await GatewayProcess.start(
      space.config(`
  <service>
    <name>small</name>
    <accept>ws://127.0.0.1:0/small</accept>
    <connect>tcp://127.0.0.1:${echoBackend.port}</connect>
    <type>proxy</type>
    <accept-options><ws.maximum.message.size>1k</ws.maximum.message.size></accept-options>
  </service>
  <service>
    <name>deferred</name>
    <accept>ws://127.0.0.1:0/deferred</accept>
    <connect>tcp://127.0.0.1:${deferredBackend.port}</connect>
    <type>proxy</type>
    <properties><connect.strategy>deferred</connect.strategy></properties>
  </service>
  <service>
    <name>tls-backend</name>
    <accept>ws://127.0.0.1:0/tls</accept>
    <connect>ssl://localhost:${trustedTls.port}</connect>
    <type>proxy</type>
  </service>
  <service>
    <name>rogue-backend</name>
    <accept>ws://127.0.0.1:0/rogue</accept>
    <connect>ssl://localhost:${untrustedTls.port}</connect>
    <type>proxy</type>
  </service>
  <service>
    <name>idle</name>
    <accept>ws://127.0.0.1:0/idle</accept>
    <type>echo</type>
    <accept-options><ws.inactivity.timeout>500ms</ws.inactivity.timeout></accept-options>
  </service>
  ${PEM_SECURITY}`),
    );
  });

  after(async () => {
    await gw?.stop();
    await echoBackend?.close();
    await deferredBackend?.close();
    trustedTls?.server.close();
    untrustedTls?.server.close();
    space?.cleanup();
  });

  test('a message over ws.maximum.message.size closes the client with 1009', async () => {
    const ws = await open(url(gw, 'ws://127.0.0.1:0/small'));
    assert.equal(await roundTrip(ws, 'x'.repeat(1024)), 'x'.repeat(1024));
    const done = closed(ws);
    ws.send('x'.repeat(1025));
    assert.equal((await done).code, 1009);
  });

  test('connect.strategy deferred connects to the backend on the first message', async () => {
    const ws = await open(url(gw, 'ws://127.0.0.1:0/deferred'));
    // A round trip through another service proves the gateway has handled the open connection meanwhile.
    const other = await open(url(gw, 'ws://127.0.0.1:0/small'));
    await roundTrip(other, 'sync');
    other.close();
    assert.equal(deferredBackend.sockets.size, 0);
    assert.equal(await roundTrip(ws, 'first'), 'first');
    assert.equal(deferredBackend.sockets.size, 1);
    ws.close();
  });

  test('an ssl:// backend is verified against the truststore with its host name checked', async () => {
    const ws = await open(url(gw, 'ws://127.0.0.1:0/tls'));
    assert.equal(await roundTrip(ws, 'over tls'), 'over tls');
    ws.close();
  });

  test('an ssl:// backend whose certificate does not verify is refused: the client gets 1011', async () => {
    const ws = await open(url(gw, 'ws://127.0.0.1:0/rogue'));
    const { code, reason } = await closed(ws);
    assert.equal(code, 1011);
    assert.match(reason, /Connection to ssl:\/\/localhost:\d+ failed/);
  });

  test('ws.inactivity.timeout closes a client that answers no pings', async () => {
    const ws = await open(url(gw, 'ws://127.0.0.1:0/idle'), { autoPong: false });
    const { code } = await closed(ws);
    assert.ok(code === 1001 || code === 1006 || code === 1000, `close code ${code}`);
    const line = await gw.waitFor((l) => l['event'] === 'close' && l['service'] === 'idle');
    assert.match(String(line['reason']), /inactiv|timeout|timed out/i);
  });

  test('an idle client that answers pings stays connected past the timeout', async () => {
    const ws = await open(url(gw, 'ws://127.0.0.1:0/idle'));
    // Three ping intervals (timeout/2 each) answered automatically by the client, then a message still echoes.
    const pinged = new Promise<void>((resolve) => {
      let pings = 0;
      ws.on('ping', () => {
        if (++pings === 3) resolve();
      });
    });
    await withDeadline(pinged, WAIT_MS, 'three pings');
    assert.equal(await roundTrip(ws, 'still here'), 'still here');
    ws.close();
  });
});

describe('maximum.recovery.interval', () => {
  let space: Workspace;
  let gw: GatewayProcess;
  let port: number;

  before(async () => {
    space = workspace();
    port = await deadPort();
    gw = await GatewayProcess.start(
      space.config(`
  <service>
    <name>recovering</name>
    <accept>ws://127.0.0.1:0/r</accept>
    <connect>tcp://127.0.0.1:${port}</connect>
    <type>proxy</type>
    <properties><maximum.recovery.interval>2</maximum.recovery.interval></properties>
  </service>`),
    );
  });

  after(async () => {
    await gw?.stop();
    space?.cleanup();
  });

  test('a failed connect takes the accept down (404) until the backend is back', async () => {
    const address = url(gw, 'ws://127.0.0.1:0/r');
    const first = await open(address);
    assert.equal((await closed(first)).code, 1011);
    await gw.waitFor((l) => String(l.msg).includes('accepts taken down'));
    const refused = new WebSocket(address);
    const response = new Promise<number>((resolve) => refused.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0)));
    const status = await withDeadline(response, WAIT_MS, 'the answer to an upgrade while the accept is down');
    assert.equal(status, 404);

    // The backend comes back on the port the gateway keeps probing.
    const { createServer } = await import('node:net');
    const revived = createServer((s) => s.on('error', () => {}).pipe(s));
    revived.listen(port, '127.0.0.1');
    await event(revived, 'listening', `the revived backend to listen on port ${port}`);
    try {
      await gw.waitFor((l) => String(l.msg).includes('accepts restored'));
      const ws = await open(address);
      assert.equal(await roundTrip(ws, 'back'), 'back');
      ws.close();
      await closed(ws);
    } finally {
      await withDeadline(new Promise((resolve) => revived.close(resolve)), WAIT_MS, 'the revived backend to close');
    }
  });
});
