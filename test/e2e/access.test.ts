/**
 * Client identity and access, end to end: a device bound to its own path, an OU rule, revocation (and a CRL
 * re-read while running), a local network let in without a certificate, PROXY headers both ways.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { WebSocket } from 'ws';
import { parseProxyHeader } from '../../src/upstream/proxy-protocol.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { PEM_SECURITY, workspace, type Workspace } from '../helpers/e2e-setup.js';
import { makeCrl } from '../helpers/crl.js';
import { testPki, type Issued } from '../helpers/pki.js';
import { tcpServer, type Backend } from '../helpers/tcp-servers.js';
import { WAIT_MS, event, withDeadline } from '../helpers/deadline.js';

const pki = testPki();

function url(gw: GatewayProcess, accept: string, path: string): string {
  return `wss://127.0.0.1:${gw.port(accept)}${path}`;
}

function tlsOptions(client: Issued | undefined) {
  return { ca: pki.ca.cert, ...(client ? { cert: client.cert, key: client.key } : {}) };
}

/** 'open', an HTTP status the upgrade was refused with, or 'tls' when the connection failed before HTTP. */
function outcome(ws: WebSocket): Promise<'open' | number | 'tls'> {
  const settled = new Promise<'open' | number | 'tls'>((resolve) => {
    ws.once('open', () => {
      resolve('open');
      ws.close();
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve('tls'));
  });
  return withDeadline(settled, WAIT_MS, `${ws.url} to open or be refused`);
}

describe('devices bound to their paths, an OU rule, revocation', () => {
  let space: Workspace;
  let backend: Backend;
  let gw: GatewayProcess;
  const headers: Buffer[] = [];
  const DEVICES = 'wss://127.0.0.1:0/v1/devices';
  const OPS = 'wss://127.0.0.1:0/ops';

  before(async () => {
    space = workspace();
    space.write('crl.pem', makeCrl(pki.ca, { revoked: [{ serial: pki.client2.x509.serialNumber }] }).pem);
    backend = await tcpServer((s: Socket) => {
      let first = true;
      s.on('data', (d: Buffer) => {
        if (first) headers.push(d);
        first = false;
        s.write(d);
      });
    });
    const options = `<accept-options>
      <ssl.verify-client>required</ssl.verify-client>
      <ssl.crl>crl.pem</ssl.crl>
    </accept-options>`;
    gw = await GatewayProcess.start(
      space.config(`
  <service>
    <name>devices</name>
    <accept>${DEVICES}</accept>
    <connect>tcp://127.0.0.1:${backend.port}</connect>
    <type>proxy</type>
    ${options}
    <connect-options><tcp.proxy-protocol>v2</tcp.proxy-protocol></connect-options>
    <access-constraint><path-identity>CN</path-identity></access-constraint>
  </service>
  <service>
    <name>ops</name>
    <accept>${OPS}</accept>
    <type>echo</type>
    ${options}
    <access-constraint><client-subject>OU=ops, O=Acme</client-subject></access-constraint>
  </service>
  ${PEM_SECURITY}`),
    );
  });

  after(async () => {
    await gw?.stop();
    await backend?.close();
    space?.cleanup();
  });

  test('a device reaches its own path, and the backend learns who it is from a PROXY v2 header', async () => {
    const ws = new WebSocket(url(gw, DEVICES, '/v1/devices/device-1'), tlsOptions(pki.client));
    await event(ws, 'open', `${ws.url} to open`);
    // The backend echoes everything, header included: read until the data comes back after it.
    const echoed = new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      ws.on('message', (d: Buffer) => {
        parts.push(d);
        const all = Buffer.concat(parts);
        if (all.toString('latin1').endsWith('telemetry')) resolve(all);
      });
    });
    ws.send('telemetry');
    const reply = await withDeadline(echoed, WAIT_MS, 'the PROXY header and "telemetry" echoed by the backend');
    const parsed = parseProxyHeader(headers[0] as Buffer, 'v2');
    assert.ok(parsed !== 'incomplete' && parsed.info !== 'local');
    assert.equal(parsed.info.sourceAddress, '127.0.0.1');
    assert.equal(parsed.info.ssl?.presented, true);
    assert.equal(parsed.info.ssl?.verified, true);
    assert.equal(parsed.info.ssl?.cn, 'device-1');
    assert.match(parsed.info.ssl?.version ?? '', /^TLSv1\.[23]$/);
    assert.equal(reply.subarray(reply.length - 'telemetry'.length).toString(), 'telemetry');
    ws.close();
  });

  test("a device is refused on another device's path with 403, and the log says why", async () => {
    assert.equal(await outcome(new WebSocket(url(gw, DEVICES, '/v1/devices/device-2'), tlsOptions(pki.client))), 403);
    const line = await gw.waitFor((l) => l.msg === 'access refused' && l['service'] === 'devices');
    assert.equal(line['subject'], 'CN=device-1, OU=devices, O=Acme');
    assert.match(String(line['reason']), /path/i);
  });

  test('an OU rule refuses a device of another unit', async () => {
    assert.equal(await outcome(new WebSocket(url(gw, OPS, '/ops'), tlsOptions(pki.client))), 403);
  });

  test('a revoked device is refused with 403 before any service, and the log says revoked', async () => {
    assert.equal(await outcome(new WebSocket(url(gw, DEVICES, '/v1/devices/device-2'), tlsOptions(pki.client2))), 403);
    const line = await gw.waitFor((l) => l.msg.startsWith('client certificate refused') && l['subject'] === 'CN=device-2, OU=devices, O=Acme');
    assert.equal(line['reason'], 'CERT_REVOKED');
    assert.equal(line['code'], 'GW_ERR_CLIENT_CERTIFICATE');
    assert.match(String(line['detail']), /revoked/);
  });

  test('a new CRL is picked up while running; a broken one keeps the last good one', async () => {
    space.write('crl.next', 'not a CRL');
    renameSync(`${space.dir}/crl.next`, `${space.dir}/crl.pem`);
    const failed = await gw.waitFor((l) => String(l.msg).startsWith('CRL reload failed'));
    assert.equal(failed['code'], 'GW_ERR_TLS_CRL');
    assert.match(String(failed['listener']), /^127\.0\.0\.1:\d+$/, 'the listening address whose CRL it is');
    assert.equal(await outcome(new WebSocket(url(gw, DEVICES, '/v1/devices/device-1'), tlsOptions(pki.client))), 'open');

    // Connections whose TLS handshake was over before the new CRL came, their request not yet sent.
    const early = await Promise.all(
      [0, 1].map(async () => {
        const socket = tlsConnect({ host: '127.0.0.1', port: gw.port(DEVICES), ...tlsOptions(pki.client) });
        await event(socket, 'secureConnect', 'a TLS handshake before the new CRL');
        return socket;
      }),
    );
    const both = makeCrl(pki.ca, { revoked: [{ serial: pki.client.x509.serialNumber }, { serial: pki.client2.x509.serialNumber }], number: 2 });
    space.write('crl.next', both.pem);
    renameSync(`${space.dir}/crl.next`, `${space.dir}/crl.pem`);
    await gw.waitFor((l) => String(l.msg).startsWith('CRL reloaded'));
    assert.equal(await outcome(new WebSocket(url(gw, DEVICES, '/v1/devices/device-1'), tlsOptions(pki.client))), 403);
    // Their upgrade, or any request, is judged under the CRL in force when it arrives.
    const upgrade = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';
    const requests = [`GET /v1/devices/device-1 HTTP/1.1\r\nHost: 127.0.0.1\r\n${upgrade}\r\n`, 'GET /v1/devices/device-1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'];
    const statuses = await Promise.all(
      early.map((socket, i) => {
        const status = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString('latin1').split('\r\n')[0] ?? '')));
        socket.write(requests[i] as string);
        return withDeadline(status, WAIT_MS, 'the answer to a request sent after the new CRL');
      }),
    );
    for (const socket of early) socket.destroy();
    assert.deepEqual(statuses, ['HTTP/1.1 403 Forbidden', 'HTTP/1.1 403 Forbidden']);
  });
});

describe('a local network without certificates, beside a service that requires one, behind a load balancer', () => {
  let space: Workspace;
  let gw: GatewayProcess;
  const LOCAL = 'wss://127.0.0.1:0/local';
  const SECURE = 'wss://127.0.0.1:0/secure';

  before(async () => {
    space = workspace();
    const options = `<accept-options>
      <ssl.verify-client>optional</ssl.verify-client>
      <tcp.proxy-protocol>v1</tcp.proxy-protocol>
      <tcp.proxy-protocol.trusted>127.0.0.2</tcp.proxy-protocol.trusted>
    </accept-options>`;
    gw = await GatewayProcess.start(
      space.config(`
  <service>
    <name>local</name>
    <accept>${LOCAL}</accept>
    <type>echo</type>
    ${options}
    <access-constraint><client-address>127.0.0.0/8</client-address></access-constraint>
  </service>
  <service>
    <name>secure</name>
    <accept>${SECURE}</accept>
    <type>echo</type>
    ${options}
    <access-constraint><client-subject>OU=devices</client-subject></access-constraint>
  </service>
  ${PEM_SECURITY}`),
    );
  });

  after(async () => {
    await gw?.stop();
    space?.cleanup();
  });

  test('the local network gets in without a certificate', async () => {
    assert.equal(await outcome(new WebSocket(url(gw, LOCAL, '/local'), tlsOptions(undefined))), 'open');
  });

  test('the service next to it refuses a client without a certificate and admits a device', async () => {
    assert.equal(await outcome(new WebSocket(url(gw, SECURE, '/secure'), tlsOptions(undefined))), 403);
    assert.equal(await outcome(new WebSocket(url(gw, SECURE, '/secure'), tlsOptions(pki.client))), 'open');
  });

  test("a trusted load balancer's PROXY header sets the client address the rules see", async () => {
    const port = gw.port(LOCAL);
    const viaBalancer = (claimed: string) =>
      new WebSocket(`wss://127.0.0.1:${port}/local`, {
        ...tlsOptions(undefined),
        createConnection: () => {
          const raw = netConnect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
          raw.write(`PROXY TCP4 ${claimed} 127.0.0.1 40000 ${port}\r\n`);
          return tlsConnect({ socket: raw, ca: pki.ca.cert });
        },
      });
    assert.equal(await outcome(viaBalancer('203.0.113.9')), 403);
    const line = await gw.waitFor((l) => l.msg === 'access refused' && l['service'] === 'local');
    assert.equal(line['downstream'], '203.0.113.9:40000');
    assert.equal(await outcome(viaBalancer('127.0.0.9')), 'open');
  });

  test('malformed PROXY headers are logged once, however many different ones arrive', async () => {
    const port = gw.port(LOCAL);
    for (const garbage of ['PROXY TCP4 1.2.3.4\r\n', 'PROXY TCP9 a b c d\r\n', 'PROXY TCP4 x 127.0.0.1 1 2\r\n']) {
      const raw = netConnect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
      raw.on('error', () => undefined);
      raw.end(garbage);
      raw.resume();
      await event(raw, 'close', 'the connection with a malformed PROXY header to be closed');
    }
    const first = await gw.waitFor((l) => String(l.msg).startsWith('PROXY protocol header refused'));
    assert.equal(first['reason'], 'malformed PROXY protocol v1 header');
    assert.match(String(first['detail']), /six fields/);
    assert.equal(gw.lines.filter((l) => String(l.msg).startsWith('PROXY protocol header refused')).length, 1);
  });
});
