import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { keepAlive, keepAlivePeriodMs, INACTIVITY_CLOSE_CODE } from '../../../src/pipe/heartbeat.js';
import { Ticker } from '../../../src/timers/ticker.js';
import { fakeClock } from '../../helpers/fake-clock.js';
import { listenerCounts, wsPair, type WsPair } from '../../helpers/ws-rig.js';
import { event } from '../../helpers/deadline.js';

/** Until what the socket holds has been written, or at least a turn for a write's completion to be reported. */
async function written(socket: Socket): Promise<void> {
  await new Promise(setImmediate);
  if (socket.writableLength > 0) await event(socket, 'drain', 'the socket to drain');
}

/**
 * The client stops reading, and the server writes until the kernel's buffers on both sides are full and bytes wait in
 * the server socket's own queue. Returns the client's socket, paused.
 */
async function backedUp(pair: WsPair): Promise<Socket> {
  const clientSocket = (pair.client as unknown as { _socket: Socket })._socket;
  clientSocket.pause();
  const chunk = Buffer.alloc(64 * 1024);
  for (let sent = 0; pair.serverSocket.writableLength < 1024 * 1024; sent += chunk.length) {
    assert.ok(sent < 256 * 1024 * 1024, 'the loopback buffers fill');
    pair.serverWs.send(chunk);
    await new Promise(setImmediate);
  }
  return clientSocket;
}

/** A pair whose client answers no ping, and the ticker of a 1 s keep-alive on a clock the test moves. */
async function onFakeClock(): Promise<{ pair: WsPair; clock: ReturnType<typeof fakeClock>; ticker: Ticker }> {
  const pair = await wsPair({ client: { autoPong: false } });
  const clock = fakeClock();
  return { pair, clock, ticker: new Ticker(keepAlivePeriodMs(1000), clock) };
}

/** The client closes (1000), then the server goes. */
async function closeFromClient(pair: WsPair): Promise<void> {
  const closed = event(pair.client, 'close');
  pair.client.close(1000);
  await closed;
  await pair.close();
}

test('a client that answers no ping is closed with 1001 "inactivity timeout" after a ping', async () => {
  const pair = await wsPair({ client: { autoPong: false } });
  let timeouts = 0;
  const before = listenerCounts(pair.serverWs);
  const pinged = event(pair.client, 'ping');
  const closed = event(pair.client, 'close') as Promise<[number, Buffer]>;
  keepAlive(pair.serverWs, 60, () => timeouts++);
  await pinged;
  const [code, reason] = await closed;
  assert.equal(code, INACTIVITY_CLOSE_CODE);
  assert.equal(code, 1001);
  assert.equal(reason.toString(), 'inactivity timeout');
  if (pair.serverWs.readyState !== WebSocket.CLOSED) await event(pair.serverWs, 'close');
  assert.equal(timeouts, 1);
  assert.deepEqual(listenerCounts(pair.serverWs), before, 'the listeners are gone once the connection closed');
  await pair.close();
});

test('pongs keep a quiet connection open', async () => {
  const pair = await wsPair();
  // Generous next to loopback latency: the pong must be read before the next tick even on a loaded machine.
  const dispose = keepAlive(pair.serverWs, 300, () => assert.fail('a client that answers pings must not time out'));
  // Without an answer the tick after the first ping would close the connection; a second ping means the pong
  // was heard instead.
  for (let i = 0; i < 2; i++) await event(pair.client, 'ping');
  assert.equal(pair.serverWs.readyState, WebSocket.OPEN);
  dispose();
  await closeFromClient(pair);
});

test('messages count as activity for a client that does not answer pings', async () => {
  const pair = await wsPair({ client: { autoPong: false } });
  const dispose = keepAlive(pair.serverWs, 300, () => assert.fail('an active client must not time out'));
  pair.client.on('ping', () => pair.client.send('still here'));
  for (let i = 0; i < 2; i++) await event(pair.client, 'ping');
  assert.equal(pair.serverWs.readyState, WebSocket.OPEN);
  dispose();
  await closeFromClient(pair);
});

test('the disposer removes every listener, is safe twice, and 0 means off', async () => {
  const pair = await wsPair();
  const before = listenerCounts(pair.serverWs);
  const dispose = keepAlive(pair.serverWs, 10_000);
  assert.notDeepEqual(listenerCounts(pair.serverWs), before);
  dispose();
  dispose();
  assert.deepEqual(listenerCounts(pair.serverWs), before);

  const off = keepAlive(pair.serverWs, 0);
  assert.deepEqual(listenerCounts(pair.serverWs), before, 'a timeout of 0 adds nothing');
  off();
  await closeFromClient(pair);
});

test('while the gateway holds a client back (backpressure), its quiet does not count', async () => {
  const pair = await wsPair({ client: { autoPong: false } });
  let checks = 0;
  let holding = true;
  let pinged = false;
  pair.client.on('ping', () => (pinged = true));
  const closed = event(pair.client, 'close') as Promise<[number, Buffer]>;
  // The first tick starts the watch; four more (two whole timeouts) pass held; only then is the client on its own.
  keepAlive(pair.serverWs, 40, undefined, () => {
    if (holding && ++checks === 4) holding = false;
    return holding;
  });
  const [code] = await closed;
  assert.equal(checks, 4);
  assert.equal(pinged, true);
  assert.equal(code, 1001);
  await pair.close();
});

test('a client held back is pinged at each tick, and not closed for its quiet until it is let go', async () => {
  const { pair, clock, ticker } = await onFakeClock();
  let holding = true;
  let timeouts = 0;
  let pings = 0;
  const ping = pair.serverWs.ping.bind(pair.serverWs);
  pair.serverWs.ping = (...args: Parameters<WebSocket['ping']>) => {
    pings++;
    ping(...args);
  };
  keepAlive(pair.serverWs, 1000, () => timeouts++, () => holding, ticker);
  clock.advance(500); // the first tick starts the watch
  assert.equal(pings, 0);
  for (let tick = 1; tick <= 4; tick++) {
    clock.advance(500);
    assert.equal(pings, tick, 'a ping at every tick while held: a client that is gone makes it fail');
    await written(pair.serverSocket);
  }
  assert.equal(timeouts, 0);
  assert.equal(pair.serverWs.readyState, WebSocket.OPEN);
  holding = false;
  clock.advance(500);
  assert.equal(pings, 5, 'let go, the first quiet tick pings');
  assert.equal(timeouts, 0);
  clock.advance(500);
  assert.equal(timeouts, 1, 'and the second closes');
  await pair.close();
});

test('a client held back that takes none of what is written to it is closed for its quiet: it is the one not reading', async () => {
  const { pair, clock, ticker } = await onFakeClock();
  let timeouts = 0;
  // Held throughout, as the gateway holds a client whose backend waits on it (an echo it does not read).
  keepAlive(pair.serverWs, 1000, () => timeouts++, () => true, ticker);
  const clientSocket = await backedUp(pair);
  clock.advance(500); // the first tick starts the watch
  clock.advance(500);
  assert.equal(timeouts, 0, 'held, it is pinged');
  await new Promise(setImmediate);
  clock.advance(500);
  assert.equal(timeouts, 0, 'the ping waits behind what the client has not taken: the quiet counts from here');
  clock.advance(500);
  assert.equal(timeouts, 1, 'and a whole period of it closes the client');
  await pair.close();
});

test('a client held back that reads slowly, making room for its ping within a period, is not closed', async () => {
  const { pair, clock, ticker } = await onFakeClock();
  let timeouts = 0;
  keepAlive(pair.serverWs, 1000, () => timeouts++, () => true, ticker);
  const clientSocket = await backedUp(pair);
  const chunk = Buffer.alloc(64 * 1024);
  clock.advance(500); // the first tick starts the watch
  for (let tick = 0; tick < 4; tick++) {
    clock.advance(500);
    // Between two ticks it takes enough for the ping queued behind the backlog to be written, and no more.
    const pinged = event(pair.client, 'ping', 'the client to read up to the ping');
    clientSocket.resume();
    await pinged;
    clientSocket.pause();
    await written(pair.serverSocket);
    clock.advance(500);
    assert.equal(timeouts, 0, `tick ${tick}`);
    // More to read, as a backend that sends on would give it.
    for (let i = 0; i < 16; i++) pair.serverWs.send(chunk);
  }
  assert.equal(pair.serverWs.readyState, WebSocket.OPEN);
  clientSocket.resume();
  await closeFromClient(pair);
});

test('a client held back that reads what is written to it is not closed for its quiet', async () => {
  const { pair, clock, ticker } = await onFakeClock();
  let timeouts = 0;
  keepAlive(pair.serverWs, 1000, () => timeouts++, () => true, ticker);
  const chunk = Buffer.alloc(64 * 1024);
  for (let tick = 0; tick < 5; tick++) {
    // Between two ticks the client takes what was written: a slow backend, not the client, holds it.
    const read = event(pair.client, 'message', 'the client to read');
    pair.serverWs.send(chunk);
    await read;
    clock.advance(500);
  }
  assert.equal(timeouts, 0);
  assert.equal(pair.serverWs.readyState, WebSocket.OPEN);
  await closeFromClient(pair);
});

test('connections with one timeout share one timer: the first tick starts the watch, then ping, then close', async () => {
  const { pair, clock, ticker } = await onFakeClock();
  let timeouts = 0;
  // Three watches on one connection stand for three connections: what matters is that they share the timer.
  const disposers = [keepAlive(pair.serverWs, 1000, () => timeouts++, undefined, ticker), keepAlive(pair.serverWs, 1000, undefined, undefined, ticker)];
  keepAlive(pair.serverWs, 1000, undefined, undefined, ticker)();
  assert.equal(ticker.size, 2);
  assert.throws(() => keepAlive(pair.serverWs, 2000, undefined, undefined, ticker), RangeError, 'a ticker of another period is refused');
  assert.equal(clock.pending(), 1);
  let pings = 0;
  const ping = pair.serverWs.ping.bind(pair.serverWs);
  pair.serverWs.ping = (...args: Parameters<WebSocket['ping']>) => {
    pings++;
    ping(...args);
  };
  clock.advance(500);
  assert.equal(pings, 0, 'the tick after joining only starts the watch');
  assert.equal(pair.serverWs.readyState, WebSocket.OPEN);
  // A second watch is taken off before the ping, so one ping and one close come from the first alone.
  disposers[1]?.();
  const pinged = event(pair.client, 'ping');
  clock.advance(500);
  await pinged;
  const closed = event(pair.client, 'close') as Promise<[number, Buffer]>;
  clock.advance(500);
  const [code] = await closed;
  assert.equal(code, INACTIVITY_CLOSE_CODE);
  assert.equal(timeouts, 1);
  assert.equal(pings, 1);
  assert.equal(ticker.size, 0);
  assert.equal(clock.pending(), 0, 'no timer is left once no connection is watched');
  await pair.close();
});
