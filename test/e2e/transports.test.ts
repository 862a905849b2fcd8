/**
 * Any accept to any connect, through real gateway processes: a WebSocket backend that is told who the client is
 * and keeps WebSocket semantics end to end, an ssl:// accept with client certificates, and the device side: two
 * gateways chained, a local TCP client → gateway A (tcp:// → wss:// with device-1's PKCS12) → gateway B (wss://
 * with path-identity → tcp:// echo).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import tls from 'node:tls';
import WebSocket, { WebSocketServer } from 'ws';
import { mtlsProxyService, PEM_SECURITY, workspace, type Workspace } from '../helpers/e2e-setup.js';
import { WAIT_MS, event, withDeadline } from '../helpers/deadline.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { repoPath } from '../helpers/paths.js';
import { testPki } from '../helpers/pki.js';
import { tcpEcho, type Backend, receiveBytes } from '../helpers/tcp-servers.js';
import { DEVICES, expectDeviceRoundTrip, startCentralGateway, storeFixture } from '../helpers/central-gateway.js';

const within = <T>(promise: Promise<T>, what: string): Promise<T> => withDeadline(promise, WAIT_MS, what);


/** A mutual-TLS proxy to a WebSocket backend that tells it who the client is, as the deployments do. */
function identityProxy(name: string, accept: string, connect: string): string {
  const headers = `
    <connect-options>
      <http.header>clientId: {ssl.client.CN}</http.header>
      <http.header>X-Client-IP: {client.address}</http.header>
      <http.header>Client-Cert: {ssl.client.cert}</http.header>
    </connect-options>`;
  return `${mtlsProxyService(name, accept, connect, headers)}
  ${PEM_SECURITY}`;
}

describe('a WebSocket backend behind mutual TLS', () => {
  let space: Workspace;
  let gw: GatewayProcess;
  let backend: WebSocketServer;
  const upgrades: IncomingMessage[] = [];
  const ACCEPT = 'wss://127.0.0.1:0/app';

  before(async () => {
    backend = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: (offered) => (offered.has('chat.v1') ? 'chat.v1' : false),
    });
    await event(backend, 'listening', 'the WebSocket backend to listen');
    backend.on('connection', (ws, req) => {
      upgrades.push(req);
      ws.on('message', (data, isBinary) => {
        const text = isBinary ? '' : data.toString();
        if (text.startsWith('close:')) ws.close(Number(text.slice(6)), 'closed by the backend');
        else ws.send(data, { binary: isBinary });
      });
      ws.on('close', (code, reason) => ws.emit('peer-closed', code, reason.toString()));
    });
    const port = (backend.address() as { port: number }).port;
    space = workspace();
    gw = await GatewayProcess.start(space.config(identityProxy('app', ACCEPT, `ws://127.0.0.1:${port}/socket`)));
  });

  after(async () => {
    await gw.stop();
    await new Promise((resolve) => backend.close(resolve));
    space.cleanup();
  });

  function client(protocols: string[] = [], headers: Record<string, string> = {}): WebSocket {
    const pki = testPki();
    return new WebSocket(`wss://127.0.0.1:${gw.port(ACCEPT)}/app`, protocols, { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key, headers });
  }

  test('the backend is told who the client is, and a forged clientId never reaches it', async () => {
    const ws = client([], { clientId: 'admin', 'X-Client-IP': '10.9.9.9' });
    await within(once(ws, 'open'), 'the connection to open');
    const req = upgrades.at(-1) as IncomingMessage;
    assert.equal(req.headers['clientid'], 'device-1');
    assert.equal(req.headers['x-client-ip'], '127.0.0.1');
    assert.equal(req.headers['client-cert'], `:${testPki().client.x509.raw.toString('base64')}:`);
    assert.equal(req.url, '/socket');
    ws.close(1000);
    await within(once(ws, 'close'), 'the close');
  });

  test('the backend chooses the subprotocol; text, binary and close codes cross both ways', async () => {
    const ws = client(['chat.v2', 'chat.v1']);
    await within(once(ws, 'open'), 'the connection to open');
    assert.equal(ws.protocol, 'chat.v1');
    const text = within(once(ws, 'message'), 'the text echo');
    ws.send('hello');
    const [t, tBinary] = (await text) as [Buffer, boolean];
    assert.equal(tBinary, false);
    assert.equal(t.toString(), 'hello');
    const binary = within(once(ws, 'message'), 'the binary echo');
    ws.send(Buffer.from([0, 1, 2, 255]));
    const [b, bBinary] = (await binary) as [Buffer, boolean];
    assert.equal(bBinary, true);
    assert.deepEqual([...b], [0, 1, 2, 255]);
    const closed = within(once(ws, 'close'), 'the close from the backend');
    ws.send('close:4001');
    const [code, reason] = (await closed) as [number, Buffer];
    assert.equal(code, 4001);
    assert.equal(reason.toString(), 'closed by the backend');
  });

  test('a close code from the client reaches the backend', async () => {
    const ws = client();
    await within(once(ws, 'open'), 'the connection to open');
    const backendSide = [...backend.clients].at(-1) as WebSocket;
    const seen = within(once(backendSide, 'peer-closed'), 'the backend to see the close');
    ws.close(4002, 'bye');
    const [code, reason] = (await seen) as [number, string];
    assert.equal(code, 4002);
    assert.equal(reason, 'bye');
  });
});

/** Debian's python3 with its python3-websockets package (.ci/run installs it); undefined when it is not there. */
function pythonWithWebsockets(): string | undefined {
  const python = '/usr/bin/python3';
  return spawnSync(python, ['-c', 'import websockets'], { stdio: 'ignore' }).status === 0 ? python : undefined;
}

describe('a Python websockets backend', { skip: pythonWithWebsockets() === undefined ? 'python3-websockets is not installed (apt-get install python3-websockets)' : false }, () => {
  let space: Workspace;
  let gw: GatewayProcess;
  let python: ChildProcess;
  const lines: Record<string, unknown>[] = [];
  let nextLine: (() => void) | undefined;
  const ACCEPT = 'wss://127.0.0.1:0/py';

  function line(): Promise<Record<string, unknown>> {
    const taken = lines.length;
    return within(
      new Promise((resolve) => {
        const check = (): void => {
          if (lines.length > taken) resolve(lines[taken] as Record<string, unknown>);
          else nextLine = check;
        };
        check();
      }),
      'a line from the Python backend',
    );
  }

  before(async () => {
    python = spawn(pythonWithWebsockets() as string, [repoPath('test/fixtures/python/ws_backend.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: python.stdout as NodeJS.ReadableStream }).on('line', (text) => {
      lines.push(JSON.parse(text) as Record<string, unknown>);
      nextLine?.();
    });
    const { port } = (await line()) as { port: number };
    space = workspace();
    gw = await GatewayProcess.start(space.config(identityProxy('py', ACCEPT, `ws://127.0.0.1:${port}/app`)));
  });

  after(async () => {
    await gw?.stop();
    python?.stdin?.end();
    if (python && python.exitCode === null) await within(once(python, 'exit'), 'the Python backend to exit');
    space?.cleanup();
  });

  test('it sees clientId, X-Client-IP and Client-Cert, never a forged clientId, and echoes through the gateway', async () => {
    const pki = testPki();
    const headersLine = line();
    const ws = new WebSocket(`wss://127.0.0.1:${gw.port(ACCEPT)}/py`, { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key, headers: { clientId: 'admin' } });
    await within(once(ws, 'open'), 'the connection to open');
    const { path, headers } = (await headersLine) as { path: string; headers: Record<string, string> };
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    assert.equal(path, '/app');
    assert.equal(lower['clientid'], 'device-1');
    assert.equal(lower['x-client-ip'], '127.0.0.1');
    assert.equal(lower['client-cert'], `:${pki.client.x509.raw.toString('base64')}:`);
    const echo = within(once(ws, 'message'), 'the echo');
    ws.send('from a browser-less client');
    const [data, isBinary] = (await echo) as [Buffer, boolean];
    assert.equal(isBinary, false);
    assert.equal(data.toString(), 'from a browser-less client');
    ws.close(1000);
    await within(once(ws, 'close'), 'the close');
  });
});

describe('an ssl:// accept with client certificates', () => {
  let space: Workspace;
  let gw: GatewayProcess;
  let echo: Backend;
  const ACCEPT = 'ssl://127.0.0.1:0';

  before(async () => {
    echo = await tcpEcho();
    space = workspace();
    gw = await GatewayProcess.start(
      space.config(`
  <service>
    <name>raw</name>
    <accept>${ACCEPT}</accept>
    <connect>tcp://127.0.0.1:${echo.port}</connect>
    <type>proxy</type>
    <accept-options><ssl.verify-client>required</ssl.verify-client></accept-options>
  </service>
  ${PEM_SECURITY}`),
    );
  });

  after(async () => {
    await gw.stop();
    await echo.close();
    space.cleanup();
  });

  test('a client with a certificate is piped to the TCP backend as bytes', async () => {
    const pki = testPki();
    const socket = tls.connect({ host: '127.0.0.1', port: gw.port(ACCEPT), ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key });
    await within(once(socket, 'secureConnect'), 'the TLS handshake');
    const back = receiveBytes(socket, 5);
    socket.write('bytes');
    assert.equal((await back).toString(), 'bytes');
    socket.end();
    const line = await within(gw.waitFor((l) => l['event'] === 'close' && l['service'] === 'raw'), 'the close line');
    assert.equal(line['subject'], 'CN=device-1, OU=devices, O=Acme');
    // A byte stream has no request path; its open line says none rather than '/'.
    const opened = await within(gw.waitFor((l) => l['event'] === 'open' && l['service'] === 'raw'), 'the open line');
    assert.match(String(opened['accept']), /^ssl:\/\//);
    assert.equal('path' in opened, false);
  });

  test('a client whose certificate does not verify is refused after the handshake with a TLS close, not a broken connection', async () => {
    const pki = testPki();
    const cert = space.write('intruder.pem', pki.untrustedClient.cert);
    const key = space.write('intruder.key', pki.untrustedClient.key);
    // OpenSSL's client, as devices use, says how the connection ended: `closed` after close_notify, else an error.
    // Its input stays open, so that it is the gateway that ends the connection.
    const client = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${gw.port(ACCEPT)}`, '-CAfile', `${space.dir}/ca.pem`, '-cert', cert, '-key', key], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    client.stdout.on('data', (d: Buffer) => (output += d.toString()));
    client.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await within(once(client, 'exit'), 'openssl s_client to see the connection end');
    } finally {
      client.kill();
    }
    assert.match(output, /^closed$/m, output);
    assert.doesNotMatch(output, /unexpected eof|errno=104/, output);
    const line = await within(gw.waitFor((l) => l['code'] === 'GW_ERR_CLIENT_CERTIFICATE' && l['subject'] === 'CN=intruder, O=Evil'), 'the refusal line');
    assert.match(String(line['msg']), /client certificate refused/);
  });

  test('a client without one is refused in the handshake', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: gw.port(ACCEPT), ca: testPki().ca.cert });
    const [err] = (await within(once(socket, 'error'), 'the refusal')) as [Error & { code?: string }];
    assert.equal(err.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  });
});

describe('the device side: two gateways chained', () => {
  let space: Workspace;
  let central: GatewayProcess;
  let device1: GatewayProcess;
  let device2: GatewayProcess;
  let echo: Backend;
  const LOCAL = 'tcp://127.0.0.1:0';

  before(async () => {
    echo = await tcpEcho();
    space = workspace();
    // The central gateway trusts the fixture CA (device-1's, made by keytool) and the test CA (device-2's).
    space.write('device-2.pem', testPki().client2.key + testPki().client2.cert);
    central = await startCentralGateway(space, echo.port, storeFixture('fixture-ca.crt.pem') + testPki().ca.cert);
    const port = central.port(DEVICES);
    const bridge = (keystore: string, extra: string): string => `
  <service>
    <name>bridge</name>
    <accept>${LOCAL}</accept>
    <connect>wss://localhost:${port}/devices/device-1</connect>
    <type>proxy</type>
    ${extra}
  </service>
  <security>
    ${keystore}
    <truststore><type>PEM</type><file>fixture-ca.pem</file></truststore>
  </security>`;
    device1 = await GatewayProcess.start(
      space.config(
        bridge(
          '<keystore><type>PKCS12</type><file>device-1.p12</file><password-file>changeit.pw</password-file></keystore>',
          '<properties><connect.strategy>prepared</connect.strategy><prepared.connection.count>1</prepared.connection.count></properties>',
        ),
        'device-1.xml',
      ),
    );
    device2 = await GatewayProcess.start(space.config(bridge('<keystore><type>PEM</type><file>device-2.pem</file></keystore>', ''), 'device-2.xml'));
  });

  after(async () => {
    await Promise.all([device1?.stop(), device2?.stop(), central?.stop()]);
    await echo?.close();
    space?.cleanup();
  });

  test('device-1 carries bytes end to end through both gateways', async () => {
    // The prepared connection is open before any local client arrives.
    await expectDeviceRoundTrip(central, device1.port(LOCAL), Buffer.from('telemetry from device-1'));
  });

  test("device-2's certificate on device-1's path is refused, and its local client is reset", async () => {
    const socket = connect(device2.port(LOCAL), '127.0.0.1');
    const [err] = (await within(once(socket, 'error'), 'the local client to be reset')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNRESET');
    const refused = await within(central.waitFor((l) => l.msg === 'access refused' && l['subject'] === 'CN=device-2, OU=devices, O=Acme'), 'the central refusal');
    assert.match(String(refused['reason']), /path/i);
    await within(device2.waitFor((l) => String(l.msg).startsWith('Connection to wss://localhost:') && l['code'] === 'GW_ERR_UPSTREAM_HANDSHAKE'), 'the bridge to say why');
  });
});
