/**
 * A client the gateway holds back for a backend that does not read is not read from, so its going (a reset, a
 * lost network) is not seen on the read side. With `ws.inactivity.timeout` it is pinged all the same: the ping to a
 * client that reset fails, and the connection and its backend are closed rather than kept, with their places in
 * the connection limits, until the backend reads again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { workspace, type Workspace } from '../helpers/e2e-setup.js';
import { tcpServer, type Backend } from '../helpers/tcp-servers.js';
import { WAIT_MS, event, withDeadline } from '../helpers/deadline.js';

const ACCEPT = 'ws://127.0.0.1:0/held';
/** What the client keeps queued while the buffers on the way fill. */
const QUEUED = 8 * 1024 * 1024;
/** How long the client's queue must not move for it to count as held back. */
const STALL_CHECK_MS = 250;

let space: Workspace;
let backend: Backend;
let gw: GatewayProcess;
let upstream: Promise<Socket>;

before(async () => {
  space = workspace();
  let deliver: (s: Socket) => void = () => {};
  upstream = new Promise((resolve) => (deliver = resolve));
  backend = await tcpServer((s) => {
    s.pause(); // never reads
    deliver(s);
  });
  gw = await GatewayProcess.start(
    space.config(`
  <service>
    <name>held</name>
    <accept>${ACCEPT}</accept>
    <connect>tcp://127.0.0.1:${backend.port}</connect>
    <type>proxy</type>
    <accept-options><ws.inactivity.timeout>1s</ws.inactivity.timeout></accept-options>
  </service>`),
  );
});

after(async () => {
  await gw?.stop();
  await backend?.close();
  space?.cleanup();
});

test('a client that resets while held back for a backend that does not read is found, and its backend closed', async () => {
  const client = new WebSocket(`ws://127.0.0.1:${gw.port(ACCEPT)}/held`);
  await event(client, 'open', `${client.url} to open`);
  await withDeadline(upstream, WAIT_MS, 'the gateway to connect to the backend');

  // The client keeps QUEUED bytes waiting to be sent, whatever the socket buffers on the way hold, until nothing more
  // leaves it: then every buffer between it and the backend is full, and the gateway has stopped reading it.
  const chunk = Buffer.alloc(64 * 1024, 0x61); // under ws.maximum.message.size
  await withDeadline(
    (async () => {
      let last = -1;
      for (;;) {
        while (client.bufferedAmount < QUEUED) client.send(chunk);
        if (client.bufferedAmount === last) return;
        last = client.bufferedAmount;
        await new Promise((resolve) => setTimeout(resolve, STALL_CHECK_MS));
      }
    })(),
    WAIT_MS * 3,
    'the client to be held back',
  );
  assert.ok(client.bufferedAmount > 0, 'the client is held back');
  const closed = gw.waitFor((l) => l['event'] === 'close' && l['service'] === 'held');
  (client as unknown as { _socket: Socket })._socket.resetAndDestroy();
  const line = await closed;
  assert.match(String(line['reason']), /^downstream/);
});
