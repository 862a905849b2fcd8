/** `start --workers 2`: /metrics, whichever worker takes the scrape, counts the connections of both. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { workspace, type Workspace } from '../helpers/e2e-setup.js';
import { ECHO, echoAndManagementConfig } from '../helpers/management-gateway.js';
import { WAIT_MS, event, withDeadline } from '../helpers/deadline.js';

const MANAGEMENT = 'http://127.0.0.1:0/';
let space: Workspace;
let gw: GatewayProcess;

before(async () => {
  space = workspace();
  gw = await GatewayProcess.start(
    echoAndManagementConfig(space, MANAGEMENT),
    ['--workers', '2'],
  );
  await gw.waitFor((l) => l.msg === 'worker 1 started');
  await gw.waitFor((l) => l.msg === 'worker 2 started');
});

after(async () => {
  await gw?.stop();
  space?.cleanup();
});

test('metrics are summed over the workers', async () => {
  // Connections are handed to the workers in turn: six reach both.
  for (let i = 0; i < 6; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port(ECHO)}/echo`);
    await event(ws, 'open', 'a client to open');
    const closed = event(ws, 'close', 'the client to close');
    ws.close(1000);
    await closed;
  }
  await gw.waitFor((l) => l['event'] === 'close' && l['worker'] === 1);
  await gw.waitFor((l) => l['event'] === 'close' && l['worker'] === 2);
  const counted = async (): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${gw.port(MANAGEMENT)}/metrics`)).text();
    const match = /^gateway_connections_opened_total\{service="echo"\} (\d+)$/m.exec(text);
    return Number(match?.[1] ?? -1);
  };
  // Two scrapes, likely taken by different workers: both see all six.
  assert.equal(await withDeadline(counted(), WAIT_MS, 'a scrape'), 6);
  assert.equal(await withDeadline(counted(), WAIT_MS, 'a second scrape'), 6);
});
