import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { Gateway } from '../../../src/gateway.js';
import { PrometheusMetrics } from '../../../src/metrics/prometheus.js';
import { config, doc, parse } from '../../helpers/config.js';
import { memoryLog } from '../../helpers/memory-log.js';
import { WAIT_MS, event, withDeadline } from '../../helpers/deadline.js';

const ECHO = doc('  <service>', '    <name>echo</name>', '    <accept>ws://127.0.0.1:0/echo</accept>', '    <type>echo</type>', '  </service>');

test('a gateway counts what a client did: opened, open, bytes each way, duration, and a refused path', async (t) => {
  const logs = memoryLog();
  const metrics = new PrometheusMetrics({ processMetrics: false });
  const prepared = Gateway.prepare(config(parse(ECHO)), { log: logs.log, metrics });
  assert.ok(prepared.ok);
  const gateway = prepared.gateway;
  t.after(() => gateway.stop());
  const [bound] = await withDeadline(gateway.start(), WAIT_MS, 'the gateway to start');
  assert.ok(bound);
  const client = new WebSocket(`ws://127.0.0.1:${bound.port}/echo`);
  await event(client, 'open', 'the client to open');
  assert.match(await metrics.text(), /^gateway_connections_open\{service="echo"\} 1$/m);
  client.send('hello');
  await event(client, 'message', 'the echo');
  client.close(1000);
  await event(client, 'close', 'the client to close');
  await withDeadline(logs.waitFor((l) => l['event'] === 'close'), WAIT_MS, 'the close line');
  const text = await metrics.text();
  assert.match(text, /^gateway_connections_open\{service="echo"\} 0$/m);
  assert.match(text, /^gateway_connections_opened_total\{service="echo"\} 1$/m);
  assert.match(text, /^gateway_bytes_total\{service="echo",direction="downstream_to_upstream"\} 5$/m);
  assert.match(text, /^gateway_bytes_total\{service="echo",direction="upstream_to_downstream"\} 5$/m);
  assert.match(text, /^gateway_connection_duration_seconds_count\{service="echo"\} 1$/m);

  const stray = new WebSocket(`ws://127.0.0.1:${bound.port}/nowhere`);
  stray.on('error', () => undefined);
  const [, response] = await event<[unknown, { statusCode: number }]>(stray, 'unexpected-response', 'the refusal');
  assert.equal(response.statusCode, 404);
  stray.terminate();
  assert.match(await metrics.text(), /^gateway_refusals_total\{listener="127\.0\.0\.1:0",service="echo",reason="not_found"\} 1$/m);
});
