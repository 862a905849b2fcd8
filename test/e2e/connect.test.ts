/**
 * `bin/gateway connect`, the device side without a configuration file: a local TCP client → `connect` (tcp:// →
 * wss:// with device-1's PKCS12, keytool-made, and the fixture CA) → a central `start` gateway (wss:// requiring a
 * client certificate, path-identity) → a tcp:// echo backend. Also what it exits with when its flags or stores are
 * wrong.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { workspace, type Workspace } from '../helpers/e2e-setup.js';
import { WAIT_MS, withDeadline } from '../helpers/deadline.js';
import { GatewayProcess, runGateway } from '../helpers/gateway-process.js';
import { tcpEcho, type Backend } from '../helpers/tcp-servers.js';
import { DEVICES, expectDeviceRoundTrip, startCentralGateway } from '../helpers/central-gateway.js';
import { testPki } from '../helpers/pki.js';

const within = <T>(promise: Promise<T>, what: string): Promise<T> => withDeadline(promise, WAIT_MS, what);


describe('bin/gateway connect', () => {
  let space: Workspace;
  let central: GatewayProcess;
  let bridge: GatewayProcess;
  let echo: Backend;
  let to: string;
  /** What `--listen 0` means: port 0 (any free port) on 127.0.0.1. */
  const LOCAL = 'tcp://127.0.0.1:0';

  before(async () => {
    echo = await tcpEcho();
    space = workspace();
    space.write('wrong.pw', 'wrong\n');
    central = await startCentralGateway(space, echo.port);
    to = `wss://localhost:${central.port(DEVICES)}/devices/device-1`;
    // Relative store paths, read from the directory the command runs in, as a device's start-up script has them.
    bridge = await GatewayProcess.connect(
      ['--listen', '0', '--to', to, '--keystore', 'device-1.p12', '--password-file', 'changeit.pw', '--keystore-type', 'PKCS12', '--alias', 'device-1', '--truststore', 'fixture-ca.pem', '--prepared', '1', '--drain-timeout', '1500ms'],
      space.dir,
    );
  });

  after(async () => {
    await Promise.all([bridge?.stop(), central?.stop()]);
    await echo?.close();
    space?.cleanup();
  });

  test('carries bytes from a local TCP client through the central gateway and back, as device-1', async () => {
    // The prepared connection is open before any local client arrives.
    const payload = Buffer.from('telemetry from device-1 through gateway connect');
    const line = await expectDeviceRoundTrip(central, bridge.port(LOCAL), payload);
    assert.equal(line['verified'], true);
    const local = await within(bridge.waitFor((l) => l['event'] === 'close' && l['service'] === 'connect'), 'the bridge close line');
    assert.equal(local['upstream'], to);
    assert.equal(local['bytesIn'], payload.length);
  });

  test('a bare --listen port is bound on 127.0.0.1 only', () => {
    const listening = bridge.lines.find((l) => l['event'] === 'listening');
    assert.equal(listening?.['accept'], LOCAL);
    assert.equal(listening?.['address'], '127.0.0.1');
  });

  test('SIGHUP is logged and the bridge goes on carrying clients', async () => {
    process.kill(bridge.pid, 'SIGHUP');
    await within(bridge.waitFor((l) => l.msg.startsWith('SIGHUP received: nothing to reload')), 'the SIGHUP line');
    const line = await expectDeviceRoundTrip(central, bridge.port(LOCAL), Buffer.from('after SIGHUP'));
    assert.equal(line['verified'], true);
  });

  test('wrong flags exit with 2 and name the flag, before anything is logged', async () => {
    const r = await runGateway(['connect', '--listen', '0', '--to', 'https://gateway.example.com/devices']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error GW_ERR_USAGE: --to scheme "https:\/\/" is not supported/);
    assert.equal(r.stdout, '');
    const drain = await runGateway(['connect', '--listen', '0', '--to', 'tcp://127.0.0.1:1', '--drain-timeout', 'forever']);
    assert.equal(drain.code, 2);
    assert.match(drain.stderr, /^error GW_ERR_USAGE: --drain-timeout expects a time interval such as 30s, 1500ms or 2m, got "forever"/);
  });

  test('a wrong keystore password exits with 1 and names --keystore, not a line of a file', async () => {
    const keystore = join(space.dir, 'device-1.p12');
    const r = await runGateway(['connect', '--log-format', 'json', '--listen', '0', '--to', to, '--keystore', keystore, '--password-file', join(space.dir, 'wrong.pw')]);
    assert.equal(r.code, 1);
    const messages = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg);
    assert.ok(
      messages.some((m) => m.startsWith(`--keystore ${keystore}: error GW_ERR_STORE_PASSWORD: `)),
      messages.join('\n'),
    );
    assert.equal(messages.at(-1), 'Gateway failed to launch');
  });

  test('a local client that sends its request and half-closes at once gets the whole response, then the end', async () => {
    // Through connect and the central gateway the FIN becomes a close frame and back: the echo's answer to what came
    // before it must not be lost on the way.
    const payload = Buffer.alloc(256 * 1024, 'request bytes ');
    const socket = netConnect({ port: bridge.port(LOCAL), host: '127.0.0.1', allowHalfOpen: true });
    await within(once(socket, 'connect'), 'the local connection');
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.end(payload);
    await within(once(socket, 'end'), 'the end of the response');
    assert.equal(Buffer.concat(chunks).length, payload.length);
    assert.ok(Buffer.concat(chunks).equals(payload));
    socket.destroy();
  });

  test('SIGTERM drains over --drain-timeout and stops it with exit code 0', async () => {
    assert.equal(await bridge.stop(), 0);
    assert.ok(bridge.lines.some((l) => l.msg === 'SIGTERM received: draining (new connections refused; open ones closed over 1.5 s)'));
  });
});

describe('bin/gateway connect with a device certificate that has expired', () => {
  let space: Workspace;
  let central: GatewayProcess;
  let bridge: GatewayProcess;
  let echo: Backend;
  let to: string;
  const pki = testPki();
  const LOCAL = 'tcp://127.0.0.1:0';

  before(async () => {
    echo = await tcpEcho();
    space = workspace();
    // The central gateway trusts the CA that issued the expired certificate: it is refused for its dates alone.
    central = await startCentralGateway(space, echo.port, pki.ca.cert);
    space.write('expired.pem', pki.expiredClient.key + pki.expiredClient.cert + pki.ca.cert);
    to = `wss://localhost:${central.port(DEVICES)}/devices/expired-device`;
    bridge = await GatewayProcess.connect(['--listen', '0', '--to', to, '--keystore', 'expired.pem', '--truststore', 'fixture-ca.pem'], space.dir);
  });

  after(async () => {
    await Promise.all([bridge?.stop(), central?.stop()]);
    await echo?.close();
    space?.cleanup();
  });

  test('is warned about at start, by the flag that names it, with the date it expired', () => {
    const warnings = bridge.lines.filter((l) => l['code'] === 'GW_ERR_TLS_WARNING');
    assert.equal(warnings.length, 1, warnings.map((l) => l.msg).join('\n'));
    assert.equal(
      warnings[0]?.msg,
      `--keystore expired.pem: warning GW_ERR_TLS_WARNING: keystore "${join(space.dir, 'expired.pem')}" entry "key-1" (CN=expired-device, OU=devices, O=Acme), ` +
        `the client certificate presented to ${to}, expired at ${new Date(pki.expiredClient.x509.validTo).toISOString()}: ` +
        'peers that check it refuse it (CERT_HAS_EXPIRED), so those handshakes fail; renew it and replace the entry',
    );
  });

  test('a connect the central gateway refuses is logged with the reason its 403 gives', async () => {
    const socket = netConnect(bridge.port(LOCAL), '127.0.0.1');
    // The failure reaches the local client as a reset: an error, then the close awaited here.
    socket.on('error', () => {});
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await within(once(socket, 'connect'), 'the local connection');
    const line = await within(bridge.waitFor((l) => l['code'] === 'GW_ERR_UPSTREAM_HANDSHAKE'), 'the refused connect to be logged');
    assert.equal(line['reason'], `${to} answered the upgrade with 403 Forbidden: "client certificate refused (CERT_HAS_EXPIRED)."`);
    await within(closed, 'the local connection to be closed');
  });
});
