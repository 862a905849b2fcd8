/**
 * A backend slower than its client must not make the gateway buffer the difference: with maximum.pending.bytes the
 * gateway stops reading the WebSocket and TCP flow control pushes back to the client. The backend reads 256 KiB
 * every 10 ms (about 25 MiB/s, far below what the client can send); what has left the client but not reached the
 * backend (the gateway's queues plus the kernel's socket buffers) must stay at a few MiB. Without backpressure the
 * gateway reads the client as fast as it sends, and most of the 64 MiB piles up in between. The verdict is in
 * bytes; the timer only makes the backend slow.
 *
 * A client held back so is not read from, so its going (a reset) is not seen on the read side. With
 * `ws.inactivity.timeout` it is pinged all the same: the ping to a client that reset fails, and the connection and
 * its backend are closed rather than kept, with their places in the connection limits, until the backend reads again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { workspace, type Workspace } from '../helpers/e2e-setup.js';
import { tcpServer, type Backend } from '../helpers/tcp-servers.js';
import { WAIT_MS, event, withDeadline } from '../helpers/deadline.js';

const TOTAL = 64 * 1024 * 1024;
const MESSAGE = 64 * 1024; // under the default ws.maximum.message.size (128k)
const PULSE = 256 * 1024;
const PULSE_INTERVAL_MS = 10;
const HELD = 'ws://127.0.0.1:0/held';
/** What a held client keeps queued while the buffers on the way fill. */
const QUEUED = 8 * 1024 * 1024;
/** How long a client's queue must not move for it to count as held back. */
const STALL_CHECK_MS = 250;

let ws_: Workspace;
let backend: Backend;
/** The backend of `held`, which never reads. */
let stalled: Backend;
let gw: GatewayProcess;
let upstream: Promise<Socket>;

before(async () => {
  ws_ = workspace();
  let deliver: (s: Socket) => void = () => {};
  upstream = new Promise((resolve) => (deliver = resolve));
  backend = await tcpServer((s) => {
    s.pause();
    deliver(s);
  });
  stalled = await tcpServer((s) => s.pause());
  gw = await GatewayProcess.start(
    ws_.config(`
  <service>
    <name>slow</name>
    <accept>ws://127.0.0.1:0/slow</accept>
    <connect>tcp://127.0.0.1:${backend.port}</connect>
    <type>proxy</type>
  </service>
  <service>
    <name>held</name>
    <accept>${HELD}</accept>
    <connect>tcp://127.0.0.1:${stalled.port}</connect>
    <type>proxy</type>
    <accept-options><ws.inactivity.timeout>1s</ws.inactivity.timeout></accept-options>
  </service>`),
  );
});

after(async () => {
  await gw?.stop();
  await backend?.close();
  await stalled?.close();
  ws_?.cleanup();
});

test('a slow backend makes the gateway push back on its client instead of buffering', async () => {
  const client = new WebSocket(`ws://127.0.0.1:${gw.port('ws://127.0.0.1:0/slow')}/slow`);
  await event(client, 'open', `${client.url} to open`);
  const socket = await withDeadline(upstream, WAIT_MS, 'the gateway to connect to the backend');

  // The client keeps a few messages in flight and counts a message as sent once its socket took it.
  const chunk = Buffer.alloc(MESSAGE, 0x61);
  let queued = 0;
  let sent = 0;
  const pump = () => {
    while (queued < TOTAL && queued - sent < 8 * MESSAGE) {
      queued += MESSAGE;
      client.send(chunk, (err) => {
        if (err) return;
        sent += MESSAGE;
        pump();
      });
    }
  };
  pump();

  let received = 0;
  let peakInFlight = 0;
  while (received < TOTAL) {
    await new Promise((resolve) => setTimeout(resolve, PULSE_INTERVAL_MS));
    const target = Math.min(TOTAL, received + PULSE);
    const pulse = new Promise<void>((resolve) => {
      const onData = (d: Buffer) => {
        received += d.length;
        if (received >= target) {
          socket.pause();
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
      socket.resume();
    });
    await withDeadline(pulse, WAIT_MS, `the backend to have read ${target} of ${TOTAL} bytes (${received} so far)`);
    peakInFlight = Math.max(peakInFlight, sent - received);
  }
  assert.equal(received, TOTAL);
  const mib = (n: number) => (n / 1048576).toFixed(1);
  assert.ok(peakInFlight < 28 * 1048576, `${mib(peakInFlight)} MiB were between client and backend at once, of ${mib(TOTAL)} MiB`);
  client.close(1000);
});

test('a client that resets while held back for a backend that does not read is found, and its backend closed', async () => {
  const client = new WebSocket(`ws://127.0.0.1:${gw.port(HELD)}/held`);
  await event(client, 'open', `${client.url} to open`);
  await gw.waitFor((l) => l['event'] === 'open' && l['service'] === 'held');

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
