/**
 * `start --workers 2`: connections spread over both workers, and a worker that dies is replaced, from the configuration
 * the workers run rather than the file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { echoService, PEM_SECURITY, workspace, type Workspace } from '../helpers/e2e-setup.js';
import { event } from '../helpers/deadline.js';
import { echoRoundTrip } from '../helpers/echo-client.js';

const ECHO = 'ws://127.0.0.1:0/echo';
let space: Workspace;
let gw: GatewayProcess;

function echoOnce(port: number): Promise<void> {
  return echoRoundTrip(new WebSocket(`ws://127.0.0.1:${port}/echo`));
}

before(async () => {
  space = workspace();
  gw = await GatewayProcess.startWorkers(space.config(echoService(ECHO)), 2);
});

after(async () => {
  await gw?.stop();
  space?.cleanup();
});

test('connections are spread over the workers', async () => {
  const port = gw.port(ECHO);
  for (let i = 0; i < 6; i++) await echoOnce(port);
  await gw.waitFor((l) => l['event'] === 'close' && l['worker'] === 1);
  await gw.waitFor((l) => l['event'] === 'close' && l['worker'] === 2);
});

test('a SIGTERM or SIGHUP sent to a worker is logged, naming the primary, and the worker goes on serving', async () => {
  const first = await gw.waitFor((l) => l.msg === 'worker 1 started');
  const pid = first['pid'] as number;
  process.kill(pid, 'SIGTERM');
  await gw.waitFor((l) => l.msg === `SIGTERM reached worker ${pid}: ignored, the primary process (pid ${gw.pid}) drains and stops the workers`);
  process.kill(pid, 'SIGHUP');
  await gw.waitFor((l) => String(l.msg).startsWith(`SIGHUP reached worker ${pid}, which leaves reloads to the primary process`));
  const port = gw.port(ECHO);
  for (let i = 0; i < 4; i++) await echoOnce(port);
  assert.equal(gw.lines.some((l) => String(l.msg).startsWith('worker 1 exited')), false, 'worker 1 still runs');
});

test('a worker that dies is replaced and the port keeps serving', async () => {
  const first = await gw.waitFor((l) => l.msg === 'worker 1 started');
  process.kill(first['pid'] as number, 'SIGKILL');
  await gw.waitFor((l) => l.msg === 'worker 1 exited with signal SIGKILL: starting a replacement');
  await gw.waitFor((l) => l.msg === 'worker 3 started');
  const port = gw.port(ECHO);
  for (let i = 0; i < 4; i++) await echoOnce(port);
  await gw.waitFor((l) => l['event'] === 'close' && l['worker'] === 3);
});

test('a reload a running worker would refuse is refused by the primary, and is not what a replacement runs', async () => {
  // The same address (port 0, as bound) made TLS: that needs a restart.
  space.config(echoService(ECHO.replace('ws://', 'wss://')) + PEM_SECURITY);
  const refused = await gw.waitFor((l) => String(l.msg).startsWith('Reload failed, the configuration in force stays (in every worker)'));
  assert.match(String(refused.msg), /would change from plain to TLS: that needs a restart/);
  const third = await gw.waitFor((l) => l.msg === 'worker 3 started');
  process.kill(third['pid'] as number, 'SIGKILL');
  await gw.waitFor((l) => l.msg === 'worker 4 started');
  // Connections alternate between the workers: each is plain WebSocket, none meets a TLS handshake.
  for (let i = 0; i < 4; i++) await echoOnce(gw.port(ECHO));
  await gw.waitFor((l) => l['event'] === 'close' && l['worker'] === 4);
  assert.equal(gw.lines.some((l) => l['worker'] === 4 && String(l.msg).includes('wss://')), false, 'worker 4 runs the file the workers refused');
});

test('a worker lost while the file on disk is broken is replaced at once, from the configuration in force', async () => {
  space.config('<service><name>echo</name><type>no-such-type</type></service>');
  await gw.waitFor((l) => /^Reload failed, the configuration in force stays \(in every worker\): .*no-such-type/.test(String(l.msg)));
  const second = await gw.waitFor((l) => l.msg === 'worker 2 started');
  process.kill(second['pid'] as number, 'SIGKILL');
  await gw.waitFor((l) => String(l.msg).startsWith('worker 2 exited with signal SIGKILL: starting a replacement'));
  await gw.waitFor((l) => l.msg === 'worker 5 started');
  for (let i = 0; i < 4; i++) await echoOnce(gw.port(ECHO));
  await gw.waitFor((l) => l['event'] === 'close' && l['worker'] === 5);
  assert.equal(gw.lines.some((l) => /while starting/.test(String(l.msg))), false, 'no replacement failed to start');
});

test('a reload the workers take is what a replacement runs', async () => {
  space.config(echoService(ECHO.replace('/echo', '/echo2')));
  await gw.waitFor((l) => l.msg === 'worker 4 reloaded');
  await gw.waitFor((l) => l.msg === 'worker 5 reloaded');
  const fourth = await gw.waitFor((l) => l.msg === 'worker 4 started');
  process.kill(fourth['pid'] as number, 'SIGKILL');
  await gw.waitFor((l) => l.msg === 'worker 6 started');
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port(ECHO)}/echo2`);
  await event(ws, 'open', 'the reloaded path to open');
  ws.close();
  for (let i = 0; i < 4; i++) {
    const again = new WebSocket(`ws://127.0.0.1:${gw.port(ECHO)}/echo2`);
    await event(again, 'open', 'the reloaded path to open in either worker');
    const closed = event(again, 'close', 'the close');
    again.close();
    await closed;
  }
  await gw.waitFor((l) => l['event'] === 'close' && l['worker'] === 6);
});

test('an address keeps the way it was first served: dropped in one reload, it cannot come back as TLS in the next', async () => {
  // Workers could each run either reload: one serving the address plain, another as TLS.
  const first = gw.lines.length;
  space.config(echoService('ws://localhost:0/elsewhere'));
  for (const worker of [5, 6]) await gw.waitFor((l) => gw.lines.indexOf(l) >= first && l.msg === `worker ${worker} reloaded`);
  const from = gw.lines.length;
  space.config(echoService(ECHO.replace('ws://', 'wss://')) + PEM_SECURITY);
  const since = (l: (typeof gw.lines)[number]): boolean => gw.lines.indexOf(l) >= from;
  const refused = await gw.waitFor((l) => since(l) && String(l.msg).startsWith('Reload failed, the configuration in force stays (in every worker)'));
  assert.match(String(refused.msg), /would change from plain to TLS: that needs a restart/);
  assert.equal(gw.lines.some((l) => since(l) && /^worker \d+ reloaded$/.test(String(l.msg))), false, 'no worker was sent it');
});

test('SIGTERM stops every worker and the primary exits 0', async () => {
  assert.equal(await gw.stop(), 0);
});
