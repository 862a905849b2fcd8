import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { parseConfig } from '../../../src/config/index.js';
import type { GatewayConfig } from '../../../src/config/types.js';
import { Gateway } from '../../../src/gateway.js';
import { PrometheusMetrics } from '../../../src/metrics/prometheus.js';
import { config, doc, parse, proxy } from '../../helpers/config.js';
import { memoryLog, type MemoryLog } from '../../helpers/memory-log.js';
import { WAIT_MS, event, withDeadline } from '../../helpers/deadline.js';
import { tcpServer } from '../../helpers/tcp-servers.js';

const ECHO = doc('  <service>', '    <name>echo</name>', '    <accept>ws://127.0.0.1:0/echo</accept>', '    <type>echo</type>', '  </service>');

/** A gateway of `gatewayConfig` counting into metrics of its own, started, and stopped after the test. */
async function started(t: { after(fn: () => unknown): void }, gatewayConfig: GatewayConfig): Promise<{ logs: MemoryLog; metrics: PrometheusMetrics; port: number }> {
  const logs = memoryLog();
  const metrics = new PrometheusMetrics({ processMetrics: false });
  const prepared = Gateway.prepare(gatewayConfig, { log: logs.log, metrics });
  assert.ok(prepared.ok);
  const gateway = prepared.gateway;
  t.after(() => gateway.stop());
  const [bound] = await withDeadline(gateway.start(), WAIT_MS, 'the gateway to start');
  assert.ok(bound);
  return { logs, metrics, port: bound.port };
}

test('a gateway counts what a client did: opened, open, bytes each way, duration, and a refused path', async (t) => {
  const { logs, metrics, port } = await started(t, config(parse(ECHO)));
  const client = new WebSocket(`ws://127.0.0.1:${port}/echo`);
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

  const stray = new WebSocket(`ws://127.0.0.1:${port}/nowhere`);
  stray.on('error', () => undefined);
  const [, response] = await event<[unknown, { statusCode: number }]>(stray, 'unexpected-response', 'the refusal');
  assert.equal(response.statusCode, 404);
  stray.terminate();
  assert.match(await metrics.text(), /^gateway_refusals_total\{listener="127\.0\.0\.1:0",service="echo",reason="not_found"\} 1$/m);
});

test('a client that leaves while its ws:// backend is connected is no refusal; a backend that cannot be reached is', async (t) => {
  // The first connect is held unanswered (a busy backend), the next hung up on (a broken one).
  let reached: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (reached = resolve));
  let heldClosed: Promise<unknown> = Promise.resolve();
  let connects = 0;
  const backend = await tcpServer((s) => {
    if (connects++ === 0) {
      heldClosed = event(s, 'close', 'the gateway to call its held connect off');
      s.resume(); // read, or its end would go unnoticed
      reached();
    } else s.destroy();
  });
  t.after(() => backend.close());
  const text = doc(...proxy('slow', 'ws://127.0.0.1:0/slow', `ws://127.0.0.1:${backend.port}/`));
  const { logs, metrics, port } = await started(t, config(parse(text)));
  const upgrade = `GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

  const leaving = connect(port, '127.0.0.1', () => leaving.write(upgrade));
  leaving.on('error', () => undefined);
  await withDeadline(held, WAIT_MS, 'the backend to be connected for the first client');
  leaving.destroy();
  await heldClosed;

  const patient = connect(port, '127.0.0.1', () => patient.write(upgrade));
  patient.on('error', () => undefined);
  const [answer] = await event<[Buffer]>(patient, 'data', 'the answer to the second client');
  patient.destroy();
  assert.match(answer.toString(), /^HTTP\/1\.1 502 /);
  assert.match(await metrics.text(), /^gateway_refusals_total\{listener="127\.0\.0\.1:0",service="slow",reason="upstream"\} 1$/m);
  assert.equal(metrics.recentRefusals().length, 1, 'only the second client was refused');
  const left = logs.lines.find((l) => l['msg'] === 'client left before its backend was connected');
  assert.equal(left?.['level'], 30, 'at info: a client that gave up on a slow backend is worth seeing');
  assert.equal(left?.['service'], 'slow');
});

test('a realm challenge to a client that sent no credentials is not counted as a refusal; wrong credentials are', async (t) => {
  const tokens = mkdtempSync(join(tmpdir(), 'gw-tokens-'));
  t.after(() => rmSync(tokens, { recursive: true, force: true }));
  const text = doc(
    '  <service>',
    '    <name>echo</name>',
    '    <accept>ws://127.0.0.1:0/echo</accept>',
    '    <type>echo</type>',
    '    <realm-name>tokens</realm-name>',
    '  </service>',
    '  <security>',
    '    <realm><name>tokens</name><authentication><http-header>X-Token</http-header><login-modules>',
    `      <login-module><type>token-directory</type><success>required</success><options><directory>${tokens}</directory></options></login-module>`,
    '    </login-modules></authentication></realm>',
    '  </security>',
  );
  const { logs, metrics, port } = await started(t, config(parse(text)));
  const status = async (headers: Record<string, string>): Promise<number> => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`, { headers });
    ws.on('error', () => undefined);
    const [, response] = await event<[unknown, { statusCode: number }]>(ws, 'unexpected-response', 'the refusal');
    ws.terminate();
    return response.statusCode;
  };
  assert.equal(await status({}), 401);
  await withDeadline(logs.waitFor((l) => l['msg'] === 'realm challenge: no credentials sent, asked for them'), WAIT_MS, 'the challenge line');
  assert.doesNotMatch(await metrics.text(), /^gateway_refusals_total\{.*reason="realm"\}/m);
  assert.equal(await status({ 'X-Token': 'no-such-token-0123456789' }), 401);
  assert.match(await metrics.text(), /^gateway_refusals_total\{listener="127\.0\.0\.1:0",service="echo",reason="realm"\} 1$/m);
});

test('closes are counted by cause, and a ping flood is named as one rather than passing for a client gone', async (t) => {
  const { logs, metrics, port } = await started(t, config(parse(ECHO)));
  const url = `ws://127.0.0.1:${port}/echo`;

  const polite = new WebSocket(url);
  await event(polite, 'open', 'the client to open');
  polite.close(1000);
  await withDeadline(logs.waitFor((l) => l['event'] === 'close'), WAIT_MS, 'the first close line');

  const flooder = new WebSocket(url);
  await event(flooder, 'open', 'the flooder to open');
  // 61 empty masked pings in one write: one more than ws answers before its pongs are written.
  const ping = Buffer.from([0x89, 0x80, 0, 0, 0, 0]);
  (flooder as unknown as { _socket: { write(b: Buffer): void } })._socket.write(Buffer.concat(Array.from({ length: 61 }, () => ping)));
  const flooded = await withDeadline(logs.waitFor((l) => l['event'] === 'close' && String(l['reason']).startsWith('ping flood')), WAIT_MS, 'the flood close line');
  assert.equal(flooded['code'], 1006);
  const text = await metrics.text();
  assert.match(text, /^gateway_connections_closed_total\{service="echo",cause="downstream_closed"\} 1$/m);
  assert.match(text, /^gateway_connections_closed_total\{service="echo",cause="downstream_error"\} 1$/m);
});

test('pages served are counted by status, and every answer of a service says nosniff', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'gw-pages-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  mkdirSync(join(home, 'conf'));
  mkdirSync(join(home, 'web'));
  writeFileSync(join(home, 'web', 'index.html'), '<h1>hello</h1>');
  const text = doc('  <service>', '    <name>pages</name>', '    <accept>http://127.0.0.1:0/</accept>', '    <type>directory</type>', '    <properties><directory>/</directory></properties>', '  </service>');
  const { logs, metrics, port } = await started(t, config(parseConfig(text, join(home, 'conf', 'gateway-config.xml'))));
  const page = await withDeadline(fetch(`http://127.0.0.1:${port}/index.html`), WAIT_MS, 'the page');
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(await page.text(), '<h1>hello</h1>');
  const missing = await withDeadline(fetch(`http://127.0.0.1:${port}/nope.html`), WAIT_MS, 'the missing page');
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('x-content-type-options'), 'nosniff');
  await missing.text();
  await withDeadline(logs.waitFor((l) => l['event'] === 'request' && l['status'] === 404), WAIT_MS, 'the second request line');
  const counted = await metrics.text();
  assert.match(counted, /^gateway_http_requests_total\{service="pages",code="200"\} 1$/m);
  assert.match(counted, /^gateway_http_requests_total\{service="pages",code="404"\} 1$/m);
});
