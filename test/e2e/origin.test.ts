/**
 * Kaazing's Origin rules through the real gateway: a service's own origin is admitted by host:port whatever the
 * scheme, with or without a cross-site-constraint; Debian's python3-websocket client, which sends
 * `Origin: http://host:port` to a wss:// service, is admitted; a foreign origin is refused unless allowed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { PEM_SECURITY, workspace, type Workspace } from '../helpers/e2e-setup.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { testPki } from '../helpers/pki.js';
import { WAIT_MS, withDeadline } from '../helpers/deadline.js';

const pki = testPki();
const OWN = 'wss://localhost:9000/echo';
const ALLOWING = 'wss://localhost:9000/allowing';

/** 'open' or the status an upgrade to 127.0.0.1:port was refused with, sending exactly these Host and Origin. */
function outcome(port: number, path: string, host: string, origin: string): Promise<'open' | number> {
  const ws = new WebSocket(`wss://127.0.0.1:${port}${path}`, { ca: pki.ca.cert, headers: { Host: host, Origin: origin } });
  return withDeadline(
    new Promise((resolve, reject) => {
      ws.once('open', () => {
        resolve('open');
        ws.close();
      });
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', reject);
    }),
    WAIT_MS,
    `the upgrade with Origin ${origin}`,
  );
}

describe("the Origin rules, with python3-websocket's headers", () => {
  let space: Workspace;
  let gw: GatewayProcess;

  before(async () => {
    space = workspace();
    // The accepts name localhost:9000, as a deployment would; the gateway really listens on a free port.
    gw = await GatewayProcess.start(
      space.config(`
  <service>
    <name>own</name>
    <accept>${OWN}</accept>
    <type>echo</type>
    <accept-options><wss.bind>127.0.0.1:0</wss.bind></accept-options>
  </service>
  <service>
    <name>allowing</name>
    <accept>${ALLOWING}</accept>
    <type>echo</type>
    <accept-options><wss.bind>127.0.0.1:0</wss.bind></accept-options>
    <cross-site-constraint><allow-origin>https://app.example.com</allow-origin></cross-site-constraint>
  </service>${PEM_SECURITY}`),
    );
  });

  after(async () => {
    await gw?.stop();
    space?.cleanup();
  });

  test('Origin http://localhost:9000 to wss://localhost:9000 is its own origin, with or without a cross-site-constraint', async () => {
    const port = gw.port(OWN);
    assert.equal(await outcome(port, '/echo', 'localhost:9000', 'http://localhost:9000'), 'open');
    assert.equal(await outcome(port, '/echo', 'localhost:9000', 'https://localhost:9000'), 'open');
    assert.equal(await outcome(port, '/allowing', 'localhost:9000', 'http://localhost:9000'), 'open');
    assert.equal(await outcome(port, '/allowing', 'localhost:9000', 'https://app.example.com'), 'open');
  });

  test('a foreign origin is refused (403) unless a cross-site-constraint names it', async () => {
    const port = gw.port(OWN);
    assert.equal(await outcome(port, '/echo', 'localhost:9000', 'https://evil.example'), 403);
    assert.equal(await outcome(port, '/allowing', 'localhost:9000', 'http://app.example.com'), 403, 'the scheme of an allowed origin counts');
    const line = await gw.waitFor((l) => l.msg === 'upgrade refused' && String(l['reason']).includes('evil.example'));
    assert.match(String(line['reason']), /not the service's own \(localhost:9000\)/);
    assert.equal(line['code'], 'GW_ERR_ORIGIN_DENIED');
  });
});

/** Debian's python3 with its python3-websocket client (.ci/run installs it); undefined when it is not there. */
function pythonWithWebsocketClient(): string | undefined {
  const python = '/usr/bin/python3';
  return spawnSync(python, ['-c', 'import websocket'], { stdio: 'ignore' }).status === 0 ? python : undefined;
}

const CLIENT = `
import ssl, sys, websocket
ws = websocket.create_connection(sys.argv[1], sslopt={"ca_certs": sys.argv[2]})
ws.send("hello from python")
print(ws.recv())
ws.close()
`;

describe('python3-websocket with its default Origin', { skip: pythonWithWebsocketClient() === undefined ? 'python3-websocket is not installed (apt-get install python3-websocket)' : false }, () => {
  let space: Workspace;
  let gw: GatewayProcess;
  let port: number;

  before(async () => {
    space = workspace();
    // The client's default Origin names the host:port it dials, so the accept must name the port it listens on:
    // one the system has just handed out.
    const probe = createServer();
    await withDeadline(new Promise<void>((r) => probe.listen(0, '127.0.0.1', r)), WAIT_MS, 'a free port');
    port = (probe.address() as AddressInfo).port;
    await withDeadline(new Promise((r) => probe.close(r)), WAIT_MS, 'the probe to close');
    gw = await GatewayProcess.start(
      space.config(`
  <service>
    <name>echo</name>
    <accept>wss://localhost:${port}/echo</accept>
    <type>echo</type>
    <accept-options><wss.bind>127.0.0.1:${port}</wss.bind></accept-options>
    <cross-site-constraint><allow-origin>https://app.example.com</allow-origin></cross-site-constraint>
  </service>${PEM_SECURITY}`),
    );
  });

  after(async () => {
    await gw?.stop();
    space?.cleanup();
  });

  test('is admitted and echoed', async () => {
    const python = pythonWithWebsocketClient() as string;
    const child = spawn(python, ['-c', CLIENT, `wss://localhost:${port}/echo`, `${space.dir}/ca.pem`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await withDeadline(new Promise((r) => child.on('close', r)), WAIT_MS, 'the python client to finish');
    assert.equal(code, 0, err);
    assert.equal(out.trim(), 'hello from python');
    const open = await gw.waitFor((l) => l['event'] === 'open' && l['service'] === 'echo');
    assert.equal(open['path'], '/echo');
  });
});
