/**
 * Reloading a running gateway: stores swapped under it (rewritten in place and renamed over), a broken file that
 * changes nothing, a device revoked or untrusted while connected, SIGHUP, accepts added and removed, and workers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync } from 'node:fs';
import { WebSocket } from 'ws';
import { GatewayProcess, type LogLine } from '../helpers/gateway-process.js';
import { PEM_SECURITY, workspace, type Workspace } from '../helpers/e2e-setup.js';
import { makeCrl } from '../helpers/crl.js';
import { issue, testPki, type Issued } from '../helpers/pki.js';
import { WAIT_MS, event, withDeadline } from '../helpers/deadline.js';

const pki = testPki();

/** The next log line matching `predicate` from now on (earlier ones do not count). */
function next(gw: GatewayProcess, predicate: (l: LogLine) => boolean, ms = WAIT_MS): Promise<LogLine> {
  const from = gw.lines.length;
  return gw.waitFor((l) => predicate(l) && gw.lines.indexOf(l) >= from, ms);
}

const reloaded = (l: LogLine): boolean => l.msg === 'Reloaded the configuration';
const reloadFailed = (l: LogLine): boolean => l.msg.startsWith('Reload failed, the configuration in force stays');

/** Opens a client and proves the path works with one echo. */
async function openEcho(url: string, options: object = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, options);
  await event(ws, 'open', `${url} to open`);
  await echo(ws, 'hello');
  return ws;
}

async function echo(ws: WebSocket, text: string): Promise<void> {
  const reply = event<[Buffer]>(ws, 'message', `the echo of "${text}"`);
  ws.send(text);
  assert.equal((await reply)[0].toString(), text);
}

/** 'open' or why not: an HTTP status, or 'error' (TLS refused, connection refused). */
function outcome(url: string, options: object = {}): Promise<'open' | number | 'error'> {
  const ws = new WebSocket(url, options);
  const settled = new Promise<'open' | number | 'error'>((resolve) => {
    ws.once('open', () => {
      resolve('open');
      ws.close();
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', () => resolve('error'));
  });
  return withDeadline(settled, WAIT_MS, `${url} to open or be refused`);
}

const tlsClient = (client: Issued | undefined, ca: string) => ({ ca, ...(client ? { cert: client.cert, key: client.key } : {}) });

describe('stores, CRLs and the XML swapped under a running gateway', () => {
  let space: Workspace;
  let gw: GatewayProcess;
  const ECHO = 'wss://127.0.0.1:0/echo';
  // A second PKI: the server's new certificate and the devices of a CA the truststore gains.
  const newServer = issue({ subject: { CN: 'localhost', O: 'Acme 2' }, sans: ['DNS:localhost', 'IP:127.0.0.1'], issuer: pki.otherCa, usage: 'server' });
  const configBody = (crl: boolean) => `
  <service>
    <name>echo</name>
    <accept>${ECHO}</accept>
    <type>echo</type>
    <accept-options>
      <ssl.verify-client>required</ssl.verify-client>
      ${crl ? '<ssl.crl>crl.pem</ssl.crl>' : ''}
    </accept-options>
  </service>
  ${PEM_SECURITY}`;
  const url = () => `wss://127.0.0.1:${gw.port(ECHO)}/echo`;

  before(async () => {
    space = workspace();
    space.write('crl.pem', makeCrl(pki.ca).pem + makeCrl(pki.otherCa).pem);
    gw = await GatewayProcess.start(space.config(configBody(true)));
  });

  after(async () => {
    await gw?.stop();
    space?.cleanup();
  });

  test('a new server keystore (rewritten in place) and truststore (renamed over) serve new handshakes; an open connection keeps echoing', async () => {
    const old = await openEcho(url(), tlsClient(pki.client, pki.ca.cert));
    assert.equal(await outcome(url(), tlsClient(pki.untrustedClient, pki.ca.cert)), 403, 'a device of the other CA is refused before the reload');

    const done = next(gw, reloaded);
    space.write('server.pem', newServer.key + newServer.cert + pki.otherCa.cert);
    space.write('ca.next', pki.ca.cert + pki.otherCa.cert);
    renameSync(`${space.dir}/ca.next`, `${space.dir}/ca.pem`);
    await done;

    // The new server certificate: a client that trusts only the other CA now completes its handshake.
    assert.equal(await outcome(url(), tlsClient(pki.untrustedClient, pki.otherCa.cert)), 'open');
    assert.equal(await outcome(url(), tlsClient(pki.client, pki.ca.cert)), 'error', 'the old server certificate is gone');
    await echo(old, 'still here');
    old.close();
  });

  test('a broken XML or store leaves it serving, and the log names the file, line and column', async () => {
    const live = await openEcho(url(), tlsClient(pki.client, pki.otherCa.cert));
    let failed = next(gw, reloadFailed);
    space.config(configBody(true).replace('<type>echo</type>', '<type>echo</type>\n    <bogus/>'));
    await failed;
    const where = gw.lines.find((l) => l['code'] === 'GW_ERR_CONFIG_UNKNOWN_ELEMENT');
    assert.match(where?.msg ?? '', /gateway-config\.xml:\d+:\d+: error GW_ERR_CONFIG_UNKNOWN_ELEMENT/);
    await echo(live, 'after a broken XML');
    assert.equal(await outcome(url(), tlsClient(pki.client, pki.otherCa.cert)), 'open');

    failed = next(gw, reloadFailed);
    space.config(configBody(true));
    space.write('server.pem', 'garbage');
    const line = await failed;
    assert.match(line.msg, /gateway-config\.xml:\d+:\d+: GW_ERR_STORE/);
    await echo(live, 'after a broken store');
    assert.equal(await outcome(url(), tlsClient(pki.client, pki.otherCa.cert)), 'open');

    const done = next(gw, reloaded);
    space.write('server.pem', newServer.key + newServer.cert + pki.otherCa.cert);
    await done;
    live.close();
  });

  test('a connected device revoked by a rewritten CRL is closed with 1008, and the log says why', async () => {
    const device = await openEcho(url(), tlsClient(pki.client, pki.otherCa.cert));
    const bystander = await openEcho(url(), tlsClient(pki.client2, pki.otherCa.cert));
    const closed = event<[number, Buffer]>(device, 'close', 'the revoked device to be closed');
    space.write('crl.next', makeCrl(pki.ca, { revoked: [{ serial: pki.client.x509.serialNumber }], number: 2 }).pem + makeCrl(pki.otherCa).pem);
    renameSync(`${space.dir}/crl.next`, `${space.dir}/crl.pem`);
    const [code, reason] = await closed;
    assert.equal(code, 1008);
    assert.equal(reason.toString(), 'certificate revoked');
    const line = await gw.waitFor((l) => l['code'] === 'GW_ERR_SESSION_CLOSED' && l['rule'] === 'revoked');
    assert.equal(line['subject'], 'CN=device-1, OU=devices, O=Acme');
    await echo(bystander, 'not revoked');
    bystander.close();
  });

  test('a reload keeps a revocation that an older CRL put back would undo, and says why', async () => {
    // The device revoked above stays revoked once the file holds its CA's CRL from before.
    const stale = next(gw, (l) => l['code'] === 'GW_ERR_TLS_WARNING' && /is older than the one in force/.test(l.msg));
    space.write('crl.next', makeCrl(pki.ca, { number: 1 }).pem + makeCrl(pki.otherCa).pem);
    renameSync(`${space.dir}/crl.next`, `${space.dir}/crl.pem`);
    await stale;
    const warned = next(gw, (l) => l['code'] === 'GW_ERR_TLS_WARNING' && /is older than the one in force/.test(l.msg));
    const done = next(gw, reloaded);
    process.kill(gw.pid, 'SIGHUP');
    await Promise.all([warned, done]);
    assert.equal(await outcome(url(), tlsClient(pki.client, pki.otherCa.cert)), 403, 'the revoked device is still refused');
    assert.equal(await outcome(url(), tlsClient(pki.client2, pki.otherCa.cert)), 'open');
  });

  test('a truststore that drops a CA closes its connected devices with 1008; SIGHUP reloads', async () => {
    const device = await openEcho(url(), tlsClient(pki.client2, pki.otherCa.cert));
    const other = await openEcho(url(), tlsClient(pki.untrustedClient, pki.otherCa.cert));
    const closed = event<[number, Buffer]>(device, 'close', 'the untrusted device to be closed');
    const done = next(gw, reloaded);
    space.write('ca.pem', pki.otherCa.cert);
    await done;
    const [code, reason] = await closed;
    assert.equal(code, 1008);
    assert.equal(reason.toString(), 'certificate no longer trusted');
    await echo(other, 'still trusted');

    const hup = next(gw, reloaded);
    process.kill(gw.pid, 'SIGHUP');
    await hup;
    assert.ok(gw.lines.some((l) => l.msg === 'Reloading the configuration (SIGHUP)'));
    await echo(other, 'after SIGHUP');
    other.close();
  });
});

describe('accepts added and removed by a reload', () => {
  let space: Workspace;
  let gw: GatewayProcess;
  const A = 'ws://127.0.0.1:0/a';
  const B = 'ws://127.0.0.2:0/b';
  const service = (name: string, accept: string) => `
  <service>
    <name>${name}</name>
    <accept>${accept}</accept>
    <type>echo</type>
  </service>`;

  before(async () => {
    space = workspace();
    gw = await GatewayProcess.start(space.config(service('a', A)), ['--drain-timeout', '1s']);
  });

  after(async () => {
    await gw?.stop();
    space?.cleanup();
  });

  test('an added accept is bound; a removed one stops accepting and its connections are closed with 1001', async () => {
    const portA = gw.port(A);
    const onA = await openEcho(`ws://127.0.0.1:${portA}/a`);
    const closed = event<[number]>(onA, 'close', 'the client of the removed accept to be closed');
    const done = next(gw, reloaded);
    space.config(service('b', B));
    await done;
    const onB = await openEcho(`ws://127.0.0.2:${gw.port(B)}/b`);
    const [code] = await closed;
    assert.equal(code, 1001);
    assert.equal(await outcome(`ws://127.0.0.1:${portA}/a`), 'error', 'the removed address no longer accepts');
    await echo(onB, 'on the new accept');
    onB.close();
  });

  test('a reload refused for a store not written yet is made once the store is written', async () => {
    const C = 'wss://127.0.0.1:0/c';
    const refused = next(gw, reloadFailed);
    space.config(`${service('b', B)}${service('c', C)}
  <security><keystore><type>PEM</type><file>later.pem</file></keystore></security>`);
    await refused;
    const done = next(gw, reloaded);
    space.write('later.pem', pki.server.key + pki.server.cert + pki.ca.cert);
    await done;
    const onC = await openEcho(`wss://127.0.0.1:${gw.port(C)}/c`, { ca: pki.ca.cert, servername: 'localhost' });
    onC.close();
  });
});

describe('--workers: the primary checks, every worker reloads', () => {
  let space: Workspace;
  let gw: GatewayProcess;
  const A = 'ws://127.0.0.1:0/a';
  const B = 'ws://127.0.0.3:0/b';
  const body = (paths: string[]) =>
    paths
      .map(
        (accept, i) => `
  <service>
    <name>s${i}</name>
    <accept>${accept}</accept>
    <type>echo</type>
  </service>`,
      )
      .join('');

  before(async () => {
    space = workspace();
    gw = await GatewayProcess.startWorkers(space.config(body([A])), 2);
  });

  after(async () => {
    await gw?.stop();
    space?.cleanup();
  });

  test('a broken file is refused once by the primary; a good one reaches both workers', async () => {
    const refused = next(gw, (l) => l.msg.startsWith('Reload failed, the configuration in force stays (in every worker): '));
    space.config(body([A]).replace('<type>echo</type>', '<type>nope</type>'));
    const line = await refused;
    assert.match(line.msg, /gateway-config\.xml:\d+:\d+/);

    const one = next(gw, (l) => l.msg === 'worker 1 reloaded');
    const two = next(gw, (l) => l.msg === 'worker 2 reloaded');
    space.config(body([A, B]));
    await Promise.all([one, two]);
    // Each worker's own lines reach the output on their own schedule: wait for both to say they bound it.
    for (const worker of [1, 2]) await gw.waitFor((l) => l['event'] === 'listening' && l['accept'] === B && l['worker'] === worker);
    const ws = await openEcho(`ws://127.0.0.3:${gw.port(B)}/b`);
    ws.close();
  });
});

describe('a CRL directory with a file in it that is not a CRL', () => {
  let space: Workspace;
  let gw: GatewayProcess;
  const ECHO = 'wss://127.0.0.1:0/echo';
  const url = () => `wss://127.0.0.1:${gw.port(ECHO)}/echo`;

  before(async () => {
    space = workspace();
    mkdirSync(`${space.dir}/crl`);
    space.write('crl/ca.pem', makeCrl(pki.ca).pem);
    space.write('crl/README', 'CRLs of the device CA, copied here every hour');
    gw = await GatewayProcess.start(
      space.config(`
  <service>
    <name>echo</name>
    <accept>${ECHO}</accept>
    <type>echo</type>
    <accept-options><ssl.verify-client>required</ssl.verify-client><ssl.crl>crl</ssl.crl></accept-options>
  </service>
  ${PEM_SECURITY}`),
    );
  });

  after(async () => {
    await gw?.stop();
    space?.cleanup();
  });

  test('is skipped with a warning naming it, and later CRLs in the directory still take effect', async () => {
    const warned = await gw.waitFor((l) => l['code'] === 'GW_ERR_TLS_WARNING' && /README: is neither PEM nor a DER CRL: .*: skipped/.test(l.msg));
    assert.match(warned.msg, /crl\/README/);
    const device = await openEcho(url(), tlsClient(pki.client, pki.ca.cert));
    const closed = event<[number, Buffer]>(device, 'close', 'the revoked device to be closed');
    space.write('crl/ca.next', makeCrl(pki.ca, { revoked: [{ serial: pki.client.x509.serialNumber }], number: 2 }).pem);
    renameSync(`${space.dir}/crl/ca.next`, `${space.dir}/crl/ca.pem`);
    const [code, reason] = await closed;
    assert.equal(code, 1008);
    assert.equal(reason.toString(), 'certificate revoked');
    assert.equal(await outcome(url(), tlsClient(pki.client, pki.ca.cert)), 403);
  });
});
