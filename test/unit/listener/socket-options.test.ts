import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setOnListener, setOnSocket } from '../../../src/listener/socket-options.js';
import { KEEPALIVE_DELAY_MS } from '../../../src/upstream/tcp-keepalive.js';
import { event } from '../../helpers/deadline.js';
import { kernelTimer, linuxOnly } from '../../helpers/kernel-timer.js';

/** A server that echoes, bound on 127.0.0.1:0, closed with its sockets after the test; `accepted` has each socket. */
async function echoServer(t: { after(fn: () => unknown): void }, onSocket: (s: net.Socket) => void = () => {}): Promise<{ server: net.Server; port: number; accepted: net.Socket[] }> {
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => {
    accepted.push(s);
    onSocket(s);
    s.on('error', () => {});
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await event(server, 'listening');
  t.after(async () => {
    for (const s of accepted) s.destroy();
    server.close();
    await event(server, 'close');
  });
  return { server, port: (server.address() as net.AddressInfo).port, accepted };
}

/** Connects, completes a round trip (so no data waits for an ACK) and gives the server's side of the connection. */
async function roundTrip(t: { after(fn: () => unknown): void }, port: number, accepted: net.Socket[]): Promise<net.Socket> {
  const client = net.connect(port, '127.0.0.1');
  t.after(() => client.destroy());
  await event(client, 'connect');
  client.write('ping');
  await event(client, 'data', 'the echo');
  const mine = accepted.find((s) => s.remotePort === client.localPort);
  assert.ok(mine, 'the server accepted the connection');
  return mine;
}

function assertKeepAlive(socket: net.Socket, what: string): void {
  const { timer, seconds } = kernelTimer(socket.localPort, socket.remotePort);
  assert.equal(timer, 2, `${what}: the kernel runs the keep-alive timer`);
  assert.ok(seconds > KEEPALIVE_DELAY_MS / 1000 - 10 && seconds <= KEEPALIVE_DELAY_MS / 1000, `${what}: first probe in ${seconds} s`);
}

test('on Linux, a connection accepted on a listening socket with the options inherits keep-alive from it', linuxOnly, async (t) => {
  const { server, port, accepted } = await echoServer(t);
  assert.equal(setOnListener(server), true);
  assertKeepAlive(await roundTrip(t, port, accepted), 'the accepted socket');
});

test('without the options on the listening socket, an accepted socket has no keep-alive (what the test above tells apart)', linuxOnly, async (t) => {
  const { port, accepted } = await echoServer(t);
  const socket = await roundTrip(t, port, accepted);
  assert.equal(kernelTimer(socket.localPort, socket.remotePort).timer, 0);
});

test('setOnSocket gives one accepted socket keep-alive', linuxOnly, async (t) => {
  const { port, accepted } = await echoServer(t, setOnSocket);
  assertKeepAlive(await roundTrip(t, port, accepted), 'the socket');
});

/** A listening handle that records what it was asked and answers `result` (0, or a negative errno). */
function fakeServer(result: number): { server: net.Server; calls: string[] } {
  const calls: string[] = [];
  const handle = {
    setNoDelay: (on: boolean) => (calls.push(`noDelay ${on}`), result),
    setKeepAlive: (on: boolean, delay: number) => (calls.push(`keepAlive ${on} ${delay}`), result),
  };
  return { server: { _handle: handle } as unknown as net.Server, calls };
}

test('setOnListener sets Nagle off and keep-alive after 60 s on the listening handle, and says so', () => {
  const { server, calls } = fakeServer(0);
  assert.equal(setOnListener(server, 'linux'), true);
  assert.deepEqual(calls, ['noDelay true', `keepAlive true ${KEEPALIVE_DELAY_MS / 1000}`]);
});

test('setOnListener leaves each socket to setOnSocket where the options are not inherited or cannot be set', () => {
  const elsewhere = fakeServer(0);
  assert.equal(setOnListener(elsewhere.server, 'darwin'), false, 'another system: not relied on to inherit them');
  assert.deepEqual(elsewhere.calls, []);
  assert.equal(setOnListener(fakeServer(-22).server, 'linux'), false, 'the handle refused them');
  // A cluster worker's server has no socket of its own: the primary accepts and hands connections over.
  assert.equal(setOnListener({ _handle: { close() {} } } as unknown as net.Server, 'linux'), false, 'no listening socket of its own');
  assert.equal(setOnListener({ _handle: null } as unknown as net.Server, 'linux'), false, 'not bound');
});
