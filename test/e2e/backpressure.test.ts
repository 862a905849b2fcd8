/**
 * A backend slower than its client must not make the gateway buffer the difference: with maximum.pending.bytes the
 * gateway stops reading the WebSocket and TCP flow control pushes back to the client. Measured as the gateway
 * process's resident memory while 128 MiB pass through a backend that reads in small pulses.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { workspace, type Workspace } from '../helpers/e2e-setup.js';
import { tcpServer, type Backend } from '../helpers/tcp-servers.js';

const TOTAL = 128 * 1024 * 1024;
const MESSAGE = 1024 * 1024;
const PULSE = 4 * 1024 * 1024;

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  return Number(kb?.[1] ?? 0) * 1024;
}

let ws_: Workspace;
let backend: Backend;
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
  gw = await GatewayProcess.start(
    ws_.config(`
  <service>
    <name>slow</name>
    <accept>ws://127.0.0.1:0/slow</accept>
    <connect>tcp://127.0.0.1:${backend.port}</connect>
    <type>proxy</type>
  </service>`),
  );
});

after(async () => {
  await gw?.stop();
  await backend?.close();
  ws_?.cleanup();
});

test('a slow backend keeps the gateway memory bounded while 128 MiB pass through', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const client = new WebSocket(`ws://127.0.0.1:${gw.port('ws://127.0.0.1:0/slow')}/slow`);
  await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
  const socket = await upstream;
  const baseline = rssBytes(gw.pid);

  const chunk = Buffer.alloc(MESSAGE, 0x61);
  for (let sent = 0; sent < TOTAL; sent += MESSAGE) client.send(chunk);

  let received = 0;
  let peak = baseline;
  while (received < TOTAL) {
    await new Promise<void>((resolve) => {
      const target = Math.min(TOTAL, received + PULSE);
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
    peak = Math.max(peak, rssBytes(gw.pid));
  }
  assert.equal(received, TOTAL);
  const growth = peak - baseline;
  assert.ok(growth < 48 * 1024 * 1024, `gateway RSS grew by ${(growth / 1048576).toFixed(1)} MiB while relaying ${TOTAL / 1048576} MiB`);
  client.close(1000);
});
