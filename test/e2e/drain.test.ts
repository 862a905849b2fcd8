/**
 * SIGTERM drains: new connections are refused once the ports are closed, open ones are closed with 1001 spread over --drain-timeout,
 * then the gateway exits; a second SIGTERM closes what is left at once.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { echoService, workspace, type Workspace } from '../helpers/e2e-setup.js';
import { WAIT_MS, event, withDeadline } from '../helpers/deadline.js';

const ECHO = 'ws://127.0.0.1:0/echo';
let space: Workspace | undefined;
let gw: GatewayProcess | undefined;

afterEach(async () => {
  await gw?.stop();
  space?.cleanup();
  gw = space = undefined;
});

async function started(drainTimeout: string, extra: string[] = []): Promise<GatewayProcess> {
  space = workspace();
  gw = await GatewayProcess.start(
    space.config(echoService(ECHO)),
    ['--drain-timeout', drainTimeout, ...extra],
  );
  return gw;
}

async function clients(port: number, n: number): Promise<{ ws: WebSocket; closed: Promise<{ code: number; at: number }> }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`);
    await event(ws, 'open', `client ${i} to open`);
    const closed = event<[number]>(ws, 'close', `client ${i} to be closed`, 4 * WAIT_MS).then(([code]) => ({ code, at: performance.now() }));
    out.push({ ws, closed });
  }
  return out;
}

function refused(port: number): Promise<boolean> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`);
  return withDeadline(
    new Promise<boolean>((resolve) => {
      ws.once('open', () => {
        ws.close();
        resolve(false);
      });
      ws.once('error', () => resolve(true));
    }),
    WAIT_MS,
    'a new connection to be refused or opened',
  );
}

test('SIGTERM refuses new connections once its ports are closed and closes open ones with 1001 spread over the drain timeout, then exits 0', async () => {
  const gateway = await started('2s');
  const port = gateway.port(ECHO);
  const open = await clients(port, 4);
  const began = performance.now();
  process.kill(gateway.pid, 'SIGTERM');
  // Logged once the port is closed, after the connections queued on it were taken.
  await gateway.waitFor((l) => l.msg.startsWith('Draining: not accepting'));
  assert.equal(await refused(port), true, 'a new connection is refused while draining');
  const closes = await Promise.all(open.map((c) => c.closed));
  for (const c of closes) assert.equal(c.code, 1001);
  const times = closes.map((c) => c.at - began).sort((a, b) => a - b);
  // Four clients over 2 s: one at once, the last three quarters of the way through (each 500 ms after the last).
  assert.ok((times[3] as number) - (times[0] as number) >= 1000, `closes spread out, not all at once: ${times.map(Math.round).join(', ')} ms`);
  assert.equal(await withDeadline(gateway.exited, 4 * WAIT_MS, 'the gateway to exit'), 0);
});

test('a second SIGTERM closes every connection at once', async () => {
  const gateway = await started('60s');
  const open = await clients(gateway.port(ECHO), 3);
  process.kill(gateway.pid, 'SIGTERM');
  const first = await open[0]?.closed;
  assert.equal(first?.code, 1001, 'the first client is closed at once');
  await gateway.waitFor((l) => l['event'] === 'close');
  process.kill(gateway.pid, 'SIGTERM');
  const rest = await Promise.all(open.slice(1).map((c) => c.closed));
  for (const c of rest) assert.equal(c.code, 1001);
  assert.ok(gateway.lines.some((l) => l.msg === 'SIGTERM during the drain: closing every connection now: stopping server'));
  assert.equal(await withDeadline(gateway.exited, WAIT_MS, 'the gateway to exit'), 0);
});

test('--workers: SIGTERM drains every worker: its clients are closed with 1001 and the primary exits 0', async () => {
  const gateway = await started('1s', ['--workers', '2']);
  await gateway.workersStarted(2);
  const open = await clients(gateway.port(ECHO), 4);
  process.kill(gateway.pid, 'SIGTERM');
  await gateway.waitFor((l) => l.msg.startsWith('SIGTERM received: draining 2 workers'));
  for (const c of await Promise.all(open.map((o) => o.closed))) assert.equal(c.code, 1001);
  assert.equal(await withDeadline(gateway.exited, 4 * WAIT_MS, 'the primary to exit'), 0);
  assert.equal(gateway.lines.filter((l) => l.msg === 'drain requested by the primary: draining (new connections refused; open ones closed over 1 s)').length, 2);
});

test('--drain-timeout is validated', async () => {
  const { runGateway } = await import('../helpers/gateway-process.js');
  const r = await runGateway(['start', '--drain-timeout', 'soon']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--drain-timeout expects a time interval such as 30s/);
  // The default the help shows is one the option takes as written.
  const help = await runGateway(['start', '--help']);
  assert.match(help.stdout, /--drain-timeout <interval>[^]*?\(default: 30s\)/);
});
