import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import WebSocket from 'ws';
import { keepAlive, INACTIVITY_CLOSE_CODE } from '../../../src/pipe/heartbeat.js';
import { listenerCounts, wsPair } from '../../helpers/ws-rig.js';

test('a client that answers no ping is closed with 1001 "inactivity timeout" after a ping', async () => {
  const pair = await wsPair({ client: { autoPong: false } });
  let timeouts = 0;
  const before = listenerCounts(pair.serverWs);
  const pinged = once(pair.client, 'ping');
  const closed = once(pair.client, 'close') as Promise<[number, Buffer]>;
  keepAlive(pair.serverWs, 60, () => timeouts++);
  await pinged;
  const [code, reason] = await closed;
  assert.equal(code, INACTIVITY_CLOSE_CODE);
  assert.equal(code, 1001);
  assert.equal(reason.toString(), 'inactivity timeout');
  if (pair.serverWs.readyState !== WebSocket.CLOSED) await once(pair.serverWs, 'close');
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
  for (let i = 0; i < 2; i++) await once(pair.client, 'ping');
  assert.equal(pair.serverWs.readyState, WebSocket.OPEN);
  dispose();
  const closed = once(pair.client, 'close');
  pair.client.close(1000);
  await closed;
  await pair.close();
});

test('messages count as activity for a client that does not answer pings', async () => {
  const pair = await wsPair({ client: { autoPong: false } });
  const dispose = keepAlive(pair.serverWs, 300, () => assert.fail('an active client must not time out'));
  pair.client.on('ping', () => pair.client.send('still here'));
  for (let i = 0; i < 2; i++) await once(pair.client, 'ping');
  assert.equal(pair.serverWs.readyState, WebSocket.OPEN);
  dispose();
  const closed = once(pair.client, 'close');
  pair.client.close(1000);
  await closed;
  await pair.close();
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
  const closed = once(pair.client, 'close');
  pair.client.close(1000);
  await closed;
  await pair.close();
});
