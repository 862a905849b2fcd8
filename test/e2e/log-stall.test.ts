/**
 * A gateway whose stdout nobody reads any more (a pipe to a hung log shipper) goes on serving and still drains and
 * exits on SIGTERM: log lines wait in a bounded buffer rather than holding the event loop (src/cli/log-destination.ts).
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { echoService, workspace, type Workspace } from '../helpers/e2e-setup.js';
import { event } from '../helpers/deadline.js';

const ECHO = 'ws://127.0.0.1:0/echo';
/** Well past what a pipe (64 KiB) and the reading side's stream buffer hold, so that writes find the pipe full. */
const LOG_BYTES_TO_WRITE = 512 * 1024;
const CONCURRENCY = 8;

let space: Workspace | undefined;
let gw: GatewayProcess | undefined;

afterEach(async () => {
  gw?.resumeOutput();
  await gw?.stop();
  space?.cleanup();
  gw = space = undefined;
});

/** One client's whole visit: open, a message and its echo, close. Each wait has the helpers' deadline. */
async function visit(port: number, i: number): Promise<void> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`);
  await event(ws, 'open', `client ${i} to open`);
  const echoed = event<[Buffer]>(ws, 'message', `client ${i}'s echo`);
  ws.send(`hello ${i}`);
  assert.equal(String((await echoed)[0]), `hello ${i}`);
  const closed = event(ws, 'close', `client ${i} to close`);
  ws.close();
  await closed;
}

test('with stdout no longer read, the gateway keeps serving and exits on SIGTERM', async () => {
  space = workspace();
  gw = await GatewayProcess.start(
    space.config(echoService(ECHO)),
  );
  const port = gw.port(ECHO);
  // What one visit logs (its open and close lines), measured with stdout still read.
  const before = JSON.stringify(gw.lines).length;
  await visit(port, 0);
  await gw.waitFor((l) => l['event'] === 'close');
  const perVisit = JSON.stringify(gw.lines).length - before;
  assert.ok(perVisit > 100, `a visit logs its lines (${perVisit} bytes)`);

  gw.pauseOutput();
  const visits = Math.ceil(LOG_BYTES_TO_WRITE / perVisit);
  let next = 1;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next <= visits) await visit(port, next++);
    }),
  );

  // Still paused: the drain and the exit must not wait for the reader (the exit gives its flush two seconds).
  assert.equal(await gw.stop(), 0);
  gw.resumeOutput();
});
