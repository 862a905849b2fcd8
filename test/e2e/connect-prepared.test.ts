/**
 * `bin/gateway connect --prepared 1` in front of a central `start` gateway (wss:// with device-1's certificate) and
 * its tcp:// backend, through real processes: a backend that speaks first greets the local client from the prepared
 * connection, and SIGTERM closes an idle prepared connection as a client's is closed, so that the central gateway
 * ends its backend with a FIN rather than a reset.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { workspace, type Workspace } from '../helpers/e2e-setup.js';
import { WAIT_MS, withDeadline } from '../helpers/deadline.js';
import { GatewayProcess, type LogLine } from '../helpers/gateway-process.js';
import { receiveBytes, tcpServer, type Backend } from '../helpers/tcp-servers.js';
import { DEVICES, startCentralGateway } from '../helpers/central-gateway.js';

const within = <T>(promise: Promise<T>, what: string): Promise<T> => withDeadline(promise, WAIT_MS, what);

const LOCAL = 'tcp://127.0.0.1:0';

/** The central gateway for `backend`, and a device bridge to it keeping one prepared connection. */
async function deviceToCentral(space: Workspace, backend: Backend, extra: string[] = []): Promise<{ central: GatewayProcess; bridge: GatewayProcess }> {
  const central = await startCentralGateway(space, backend.port);
  const to = `wss://localhost:${central.port(DEVICES)}/devices/device-1`;
  const bridge = await GatewayProcess.connect(
    ['--listen', '0', '--to', to, '--keystore', 'device-1.p12', '--password-file', 'changeit.pw', '--alias', 'device-1', '--truststore', 'fixture-ca.pem', '--prepared', '1', '--drain-timeout', '1500ms', ...extra],
    space.dir,
  );
  return { central, bridge };
}

/** How each connection to `backend` ended: 'end' (a FIN) or the error it saw (ECONNRESET). */
function endings(backend: Backend): Map<Socket, string> {
  const seen = new Map<Socket, string>();
  backend.server.on('connection', (s: Socket) => {
    s.on('end', () => seen.set(s, seen.get(s) ?? 'end'));
    s.on('error', (e: NodeJS.ErrnoException) => seen.set(s, e.code ?? e.message));
  });
  return seen;
}

const warnedAboutPrepared = (l: LogLine): boolean => l.level === 40 && l['upstream'] !== undefined;

describe('bin/gateway connect --prepared: a backend that speaks first', () => {
  const GREETING = '220 backend.example.com ESMTP ready\r\n';
  let space: Workspace;
  let backend: Backend;
  let central: GatewayProcess;
  let bridge: GatewayProcess;

  before(async () => {
    backend = await tcpServer((s) => {
      s.write(GREETING);
      s.pipe(s);
    });
    space = workspace();
    // At debug, the bridge says when a prepared connection holds what its backend sent first.
    ({ central, bridge } = await deviceToCentral(space, backend, ['--log-level', 'debug']));
  });

  after(async () => {
    await Promise.all([bridge?.stop(), central?.stop()]);
    await backend?.close();
    space?.cleanup();
  });

  test("the greeting crosses both gateways to the prepared connection and is the local client's first bytes", async () => {
    await within(bridge.waitFor((l) => String(l.msg).includes('holds what its backend sent first')), 'the prepared connection to hold the greeting');
    const socket = netConnect(bridge.port(LOCAL), '127.0.0.1');
    await within(once(socket, 'connect'), 'the local connection');
    const greeting = receiveBytes(socket, GREETING.length);
    assert.equal((await greeting).toString(), GREETING);
    const echoed = receiveBytes(socket, 'EHLO device-1\r\n'.length);
    socket.write('EHLO device-1\r\n');
    assert.equal((await echoed).toString(), 'EHLO device-1\r\n');
    socket.end();
    const local = await within(bridge.waitFor((l) => l['event'] === 'close' && l['service'] === 'connect'), 'the bridge close line');
    assert.equal(local['bytesOut'], GREETING.length + 'EHLO device-1\r\n'.length);
    assert.deepEqual(bridge.lines.filter(warnedAboutPrepared).map((l) => l.msg), [], 'no prepared connection was closed and replaced');
    // One central connection, the prepared one, served the client: the close line says it carried the greeting.
    const centralClose = await within(central.waitFor((l) => l['event'] === 'close' && l['service'] === 'devices'), 'the central close line');
    assert.equal(centralClose['bytesOut'], GREETING.length + 'EHLO device-1\r\n'.length);
    const firstOpen = central.lines.find((l) => l['event'] === 'open' && l['service'] === 'devices');
    assert.equal(centralClose['conn'], firstOpen?.['conn'], 'the first connection the bridge prepared');
  });
});

describe('bin/gateway connect --prepared: SIGTERM with no local client', () => {
  let space: Workspace;
  let backend: Backend;
  let seen: Map<Socket, string>;
  let firstConnection: Promise<[Socket]>;
  let central: GatewayProcess;
  let bridge: GatewayProcess;

  before(async () => {
    backend = await tcpServer((s) => s.pipe(s));
    seen = endings(backend);
    firstConnection = once(backend.server, 'connection') as Promise<[Socket]>;
    space = workspace();
    ({ central, bridge } = await deviceToCentral(space, backend));
  });

  after(async () => {
    await Promise.all([bridge?.stop(), central?.stop()]);
    await backend?.close();
    space?.cleanup();
  });

  test('the idle prepared connection is closed with 1001, and the central gateway ends its backend with a FIN, not a reset', async () => {
    const open = await within(central.waitFor((l) => l['event'] === 'open' && l['service'] === 'devices'), 'the prepared connection to reach the central gateway');
    const [socket] = await within(firstConnection, 'the central gateway to connect its backend');
    // Not `once`: an error (a reset) must reach the assertion below, not reject the wait.
    const closed = new Promise((resolve) => socket.once('close', resolve));

    assert.equal(await bridge.stop(), 0);
    const close = await within(central.waitFor((l) => l['event'] === 'close' && l['conn'] === open['conn']), 'the central close line');
    assert.equal(close['reason'], 'downstream closed (1001)', 'a device going away, not a connection lost (1006)');
    await within(closed, 'the backend connection to close');
    assert.equal(seen.get(socket), 'end', 'the backend got a FIN, not a reset');
    const draining = bridge.lines.find((l) => String(l.msg).startsWith('Draining:'));
    assert.equal(draining?.msg, 'Draining: not accepting; closing 0 connections (1001) over 1.5 s, and 1 idle prepared connection to backends now');
  });
});
