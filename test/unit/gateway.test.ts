import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { Gateway } from '../../src/gateway.js';
import { config, doc, parse } from '../helpers/config.js';
import { memoryLog } from '../helpers/memory-log.js';
import { WAIT_MS, event, withDeadline } from '../helpers/deadline.js';

const ECHO = doc('  <service>', '    <name>echo</name>', '    <accept>ws://127.0.0.1:0/echo</accept>', '    <type>echo</type>', '  </service>');

test('stop() gives every caller the same promise, settled only once the stop is complete', async () => {
  const logs = memoryLog();
  const prepared = Gateway.prepare(config(parse(ECHO)), { log: logs.log });
  assert.ok(prepared.ok);
  const gateway = prepared.gateway;
  const [bound] = await withDeadline(gateway.start(), WAIT_MS, 'the gateway to start');
  assert.ok(bound);
  // An open client gives the stop something to close, so that it cannot complete in the same turn.
  const client = new WebSocket(`ws://127.0.0.1:${bound.port}/echo`);
  await event(client, 'open', 'the client to open');
  const clientClosed = event<[number]>(client, 'close', 'the client to be closed');

  const first = gateway.stop();
  const second = gateway.stop();
  await withDeadline(second, WAIT_MS, 'the second stop()');
  assert.ok(
    logs.lines.some((l) => l['msg'] === 'Stopped server'),
    'when the second call settles, the stop is complete',
  );
  assert.equal(second, first, 'both callers hold the same promise');
  assert.equal(gateway.stop(), first, 'a call after the stop gets the same settled promise');
  assert.equal((await clientClosed)[0], 1001);
});
