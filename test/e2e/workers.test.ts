/** `start --workers 2`: connections spread over both workers, and a worker that dies is replaced. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { echoService, workspace, type Workspace } from '../helpers/e2e-setup.js';
import { event } from '../helpers/deadline.js';

const ECHO = 'ws://127.0.0.1:0/echo';
let space: Workspace;
let gw: GatewayProcess;

async function echoOnce(port: number): Promise<void> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`);
  await event(ws, 'open', `${ws.url} to open`);
  const reply = event<[Buffer]>(ws, 'message', 'the echo of "hi"');
  ws.send('hi');
  assert.equal((await reply)[0].toString(), 'hi');
  const closed = event(ws, 'close', `${ws.url} to close`);
  ws.close();
  await closed;
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

test('a worker that dies is replaced and the port keeps serving', async () => {
  const first = await gw.waitFor((l) => l.msg === 'worker 1 started');
  process.kill(first['pid'] as number, 'SIGKILL');
  await gw.waitFor((l) => l.msg === 'worker 1 exited with signal SIGKILL: starting a replacement');
  await gw.waitFor((l) => l.msg === 'worker 3 started');
  const port = gw.port(ECHO);
  for (let i = 0; i < 4; i++) await echoOnce(port);
  await gw.waitFor((l) => l['event'] === 'close' && l['worker'] === 3);
});

test('a worker lost while the file on disk is broken is replaced once it is fixed; the others serve meanwhile', async () => {
  space.config('<service><name>echo</name><type>no-such-type</type></service>');
  await gw.waitFor((l) => String(l.msg).startsWith('Reload failed, the configuration in force stays'));
  const second = await gw.waitFor((l) => l.msg === 'worker 2 started');
  process.kill(second['pid'] as number, 'SIGKILL');
  await gw.waitFor((l) => String(l.msg).startsWith('worker 2 exited with signal SIGKILL: starting a replacement'));
  // The replacement reads the broken file and cannot start: it is tried again, later each time, and worker 3 serves on.
  const failed = await gw.waitFor((l) => /^worker \d+ exited with code \d+ while starting \(see its log\): starting a replacement in \d/.test(String(l.msg)));
  assert.ok(Number(failed['delayMs']) > 0, String(failed['msg']));
  for (let i = 0; i < 3; i++) await echoOnce(gw.port(ECHO));
  space.config(echoService(ECHO));
  await gw.waitFor((l) => /^worker (?![13] )\d+ started$/.test(String(l.msg)));
  for (let i = 0; i < 3; i++) await echoOnce(gw.port(ECHO));
});

test('SIGTERM stops every worker and the primary exits 0', async () => {
  assert.equal(await gw.stop(), 0);
});
