/**
 * The product in one test file: a real `bin/gateway` with two services on one wss:// port (echo and a proxy to a
 * real TCP echo server), mutual TLS against a PEM truststore, and the refusals a user meets.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { PEM_SECURITY, workspace, type Workspace } from '../helpers/e2e-setup.js';
import { testPki, type Issued } from '../helpers/pki.js';
import { deadPort, tcpEcho, type Backend } from '../helpers/tcp-servers.js';
import { WAIT_MS, withDeadline } from '../helpers/deadline.js';

const ECHO = 'wss://127.0.0.1:0/echo';
const PROXY = 'wss://127.0.0.1:0/tcp';
const DEAD = 'wss://127.0.0.1:0/dead';

function connect(gw: GatewayProcess, accept: string, client: Issued | undefined): WebSocket {
  const pki = testPki();
  const url = accept.replace(':0/', `:${gw.port(accept)}/`);
  return new WebSocket(url, { ca: pki.ca.cert, ...(client ? { cert: client.cert, key: client.key } : {}) });
}

function opened(ws: WebSocket): Promise<void> {
  const open = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return withDeadline(open, WAIT_MS, `${ws.url} to open`);
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  const message = new Promise<{ data: Buffer; isBinary: boolean }>((resolve) =>
    ws.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })),
  );
  return withDeadline(message, WAIT_MS, `a message on ${ws.url}`);
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  const close = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })),
  );
  return withDeadline(close, WAIT_MS, `${ws.url} to close`);
}

/** Resolves with the error a refused connection ends in (the handshake or the socket fails; it never opens). */
function refused(ws: WebSocket): Promise<Error> {
  const refusal = new Promise<Error>((resolve, reject) => {
    ws.once('open', () => reject(new Error('connection was admitted')));
    ws.once('error', (err) => resolve(err));
  });
  return withDeadline(refusal, WAIT_MS, `${ws.url} to be refused`);
}

describe('wss:// echo and proxy on one port with mutual TLS', () => {
  let ws_: Workspace;
  let backend: Backend;
  let gw: GatewayProcess;

  before(async () => {
    ws_ = workspace();
    backend = await tcpEcho();
    const file = ws_.config(`
  <service>
    <name>echo</name>
    <accept>${ECHO}</accept>
    <type>echo</type>
    <accept-options><ssl.verify-client>required</ssl.verify-client></accept-options>
  </service>
  <service>
    <name>tcp</name>
    <accept>${PROXY}</accept>
    <connect>tcp://127.0.0.1:${backend.port}</connect>
    <type>proxy</type>
    <accept-options><ssl.verify-client>required</ssl.verify-client></accept-options>
  </service>
  <service>
    <name>dead</name>
    <accept>${DEAD}</accept>
    <connect>tcp://127.0.0.1:${await deadPort()}</connect>
    <type>proxy</type>
    <accept-options><ssl.verify-client>required</ssl.verify-client></accept-options>
  </service>
  ${PEM_SECURITY}`);
    gw = await GatewayProcess.start(file);
  });

  after(async () => {
    await gw?.stop();
    await backend?.close();
    ws_?.cleanup();
  });

  test('the services share one port', () => {
    assert.equal(gw.port(ECHO), gw.port(PROXY));
    assert.ok(gw.port(ECHO) > 0);
  });

  test('echo returns text as text and binary as binary', async () => {
    const ws = connect(gw, ECHO, testPki().client);
    await opened(ws);
    ws.send('hello');
    assert.deepEqual(await nextMessage(ws), { data: Buffer.from('hello'), isBinary: false });
    ws.send(Buffer.from([1, 2, 3]));
    assert.deepEqual(await nextMessage(ws), { data: Buffer.from([1, 2, 3]), isBinary: true });
    ws.close(1000);
    await closed(ws);
  });

  test('proxy carries bytes both ways through a TCP echo backend, as binary frames', async () => {
    const ws = connect(gw, PROXY, testPki().client);
    await opened(ws);
    const payload = randomBytes(3 * 1024 * 1024);
    const received: Buffer[] = [];
    let total = 0;
    const done = new Promise<void>((resolve) =>
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        assert.equal(isBinary, true);
        received.push(data);
        total += data.length;
        if (total >= payload.length + 4) resolve();
      }),
    );
    ws.send('text'); // a text frame's payload goes upstream as plain bytes
    for (let i = 0; i < payload.length; i += 64 * 1024) ws.send(payload.subarray(i, i + 64 * 1024));
    await withDeadline(done, 3 * WAIT_MS, `${payload.length + 4} bytes echoed through the backend`);
    const all = Buffer.concat(received);
    assert.equal(all.subarray(0, 4).toString(), 'text');
    assert.equal(createHash('sha256').update(all.subarray(4)).digest('hex'), createHash('sha256').update(payload).digest('hex'));
    ws.close(1000);
    await closed(ws);
    const line = await gw.waitFor((l) => l['event'] === 'close' && l['service'] === 'tcp');
    assert.equal(line['bytesIn'], payload.length + 4);
    assert.equal(line['bytesOut'], payload.length + 4);
    assert.equal(line['subject'], 'CN=device-1, OU=devices, O=Acme');
    assert.equal(line['fingerprint'], testPki().client.x509.fingerprint256);
    assert.equal(line['upstream'], `tcp://127.0.0.1:${backend.port}`);
  });

  test('a client without a certificate is refused in the handshake with a TLS alert, and the log says why', async () => {
    const ws = connect(gw, ECHO, undefined);
    const err = (await refused(ws)) as Error & { code?: string };
    assert.equal(err.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    const line = await gw.waitFor((l) => l.msg.startsWith('client certificate refused') && /no client certificate/i.test(String(l['reason'])));
    assert.ok(line);
  });

  test('an expired client certificate is refused with CERT_HAS_EXPIRED', async () => {
    const ws = connect(gw, ECHO, testPki().expiredClient);
    assert.match((await refused(ws)).message, /403/);
    const line = await gw.waitFor((l) => String(l['reason']).includes('CERT_HAS_EXPIRED'));
    assert.equal(line['subject'], 'CN=expired-device, OU=devices, O=Acme');
  });

  test('a certificate from an untrusted CA is refused', async () => {
    const ws = connect(gw, ECHO, testPki().untrustedClient);
    await refused(ws);
    const line = await gw.waitFor((l) => l.msg.startsWith('client certificate refused') && l['subject'] === 'CN=intruder, O=Evil');
    assert.match(String(line['reason']), /UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|untrusted/i);
  });

  test('a dead backend closes the client with 1011 and a reason', async () => {
    const ws = connect(gw, DEAD, testPki().client);
    await opened(ws);
    const { code, reason } = await closed(ws);
    assert.equal(code, 1011);
    assert.match(reason, /^Connection to tcp:\/\/127\.0\.0\.1:\d+ failed/);
    await gw.waitFor((l) => l.msg.startsWith('Connection to tcp://') && l['service'] === 'dead');
  });

  test('an unknown path gets 404 and a plain HTTP request a 426', async () => {
    const port = gw.port(ECHO);
    const ws = new WebSocket(`wss://127.0.0.1:${port}/nowhere`, { ca: testPki().ca.cert, cert: testPki().client.cert, key: testPki().client.key });
    const response = new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    const status = await withDeadline(response, WAIT_MS, 'the answer to an upgrade on an unknown path');
    assert.equal(status, 404);
    const { request } = await import('node:https');
    const answered = new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/echo', ca: testPki().ca.cert, cert: testPki().client.cert, key: testPki().client.key },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    const plain = await withDeadline(answered, WAIT_MS, 'the answer to a plain HTTP request');
    assert.equal(plain, 426);
  });
});
