/**
 * `bin/gateway connect --prepared 1` in front of a central `start` gateway (wss:// with device-1's certificate) and
 * its tcp:// backend, through real processes: a backend that speaks first greets the local client from the prepared
 * connection.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
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
