import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { compileAccessRules } from '../../../src/auth/access.js';
import type { AcceptUri } from '../../../src/config/types.js';
import type { ListenerOptions } from '../../../src/listener/listener.js';
import type { Route } from '../../../src/listener/routes.js';
import { DirectoryService } from '../../../src/services/directory.js';
import { EchoService } from '../../../src/services/echo.js';
import { PrometheusMetrics } from '../../../src/metrics/prometheus.js';
import { WAIT_MS, withDeadline } from '../../helpers/deadline.js';
import { memoryLog, type MemoryLog } from '../../helpers/memory-log.js';
import { startTestListener } from '../../helpers/test-listener.js';
import { serviceConfig } from '../../helpers/service-config.js';

const within = <T>(promise: Promise<T>, what: string): Promise<T> => withDeadline(promise, WAIT_MS, what);

function accept(scheme: 'ws' | 'http', path: string): AcceptUri {
  return { uri: `${scheme}://127.0.0.1:0${path}`, scheme, host: '127.0.0.1', port: 0, path, listen: { host: '127.0.0.1', port: 0 }, position: { file: 't.xml' } };
}

interface Rig {
  readonly port: number;
  readonly log: MemoryLog;
  readonly metrics: PrometheusMetrics;
}

/**
 * A listener with a directory service on http://…/ (index.html, a.txt) and an echo service on ws://…/ and ws://…/echo.
 * `routine`: the request paths the directory service calls routine (Service.isRoutineRequest).
 */
async function start(t: { after(fn: () => unknown): void }, overrides: Partial<ListenerOptions> = {}, access = compileAccessRules([]), routine?: readonly string[]): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-plain-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'index.html'), '<h1>page</h1>');
  writeFileSync(join(dir, 'a.txt'), 'aaa');
  const pagesAccept = accept('http', '/');
  const pages = new DirectoryService(
    serviceConfig({ name: 'pages', type: 'directory', accepts: [pagesAccept], directory: { directory: dir, welcomeFile: 'index.html', errorPagesDirectory: undefined, indexes: false, locations: [] } }),
  );
  if (routine !== undefined) Object.assign(pages, { isRoutineRequest: (req: IncomingMessage) => routine.includes(req.url ?? '') });
  const echo = new EchoService(serviceConfig({ name: 'echo', type: 'echo' }));
  const metrics = new PrometheusMetrics({ processMetrics: false });
  const routes: Route[] = [
    { accept: pagesAccept, service: pages, wss: undefined, access, meter: metrics.service('pages') },
    { accept: accept('ws', '/'), service: echo, wss: new WebSocketServer({ noServer: true }), access: compileAccessRules([]), meter: metrics.service('echo') },
    { accept: accept('ws', '/echo'), service: echo, wss: new WebSocketServer({ noServer: true }), access: compileAccessRules([]), meter: metrics.service('echo') },
  ];
  const rig = await listen(t, routes, overrides);
  t.after(() => echo.stop());
  return rig;
}

/** A listener on 127.0.0.1:0 for `routes`, closed after the test. */
async function listen(t: { after(fn: () => unknown): void }, routes: Route[], overrides: Partial<ListenerOptions> = {}): Promise<Rig> {
  const metrics = new PrometheusMetrics({ processMetrics: false });
  const log = memoryLog();
  const { port } = await startTestListener(t, routes, log, metrics, overrides);
  return { port, log, metrics };
}

async function opened(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  await within(once(s, 'connect'), 'the TCP connection');
  return s;
}

/** Reads complete responses (headers and a Content-Length body) off one socket, in order. */
class Responses {
  #buffer = '';
  #waiting: (() => void) | undefined;
  closed = false;

  constructor(socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.#buffer += d.toString('latin1');
      this.#waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.#waiting?.();
    });
  }

  next(what: string): Promise<{ status: number; head: string; body: string }> {
    return within(
      new Promise((resolve, reject) => {
        const attempt = (): void => {
          const end = this.#buffer.indexOf('\r\n\r\n');
          if (end >= 0) {
            const head = this.#buffer.slice(0, end);
            const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
            if (this.#buffer.length >= end + 4 + length) {
              const body = this.#buffer.slice(end + 4, end + 4 + length);
              this.#buffer = this.#buffer.slice(end + 4 + length);
              this.#waiting = undefined;
              resolve({ status: Number(head.split(' ')[1]), head, body });
              return;
            }
          }
          if (this.closed) reject(new Error(`the connection closed before ${what}`));
        };
        this.#waiting = attempt;
        attempt();
      }),
      what,
    );
  }
}

const GET = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
const UPGRADE = (path: string): string =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

test("a service's routine requests (probes, scrapes) are logged at debug when they succeed, and at info when they fail", async (t) => {
  const { port, log } = await start(t, {}, compileAccessRules([]), ['/a.txt', '/missing']);
  const s = await opened(port);
  const replies = new Responses(s);
  for (const path of ['/a.txt', '/missing', '/']) {
    s.write(GET(path));
    await replies.next(path);
  }
  const levels = await within(
    Promise.all(['/a.txt', '/missing', '/'].map((path) => log.waitFor((l) => l['event'] === 'request' && l['path'] === path))),
    'the request lines',
  );
  assert.deepEqual(
    levels.map((l) => [l['path'], l['status'], l['level']]),
    [
      ['/a.txt', 200, 20],
      ['/missing', 404, 30],
      ['/', 200, 30],
    ],
  );
});

test('on one address and one path, plain requests go to the HTTP service and upgrades to the WebSocket one', async (t) => {
  const { port, log } = await start(t);
  const s = await opened(port);
  const replies = new Responses(s);
  s.write(GET('/'));
  const page = await replies.next('the page');
  assert.equal(page.status, 200);
  assert.equal(page.body, '<h1>page</h1>');
  const line = await within(log.waitFor((l) => l['event'] === 'request'), 'the request log line');
  assert.deepEqual([line['service'], line['method'], line['path'], line['status']], ['pages', 'GET', '/', 200]);
  const ws = await opened(port);
  const upgraded = new Responses(ws);
  ws.write(UPGRADE('/'));
  assert.equal((await upgraded.next('the upgrade')).status, 101);
  ws.destroy();
  s.destroy();
});

test('a kept-alive connection serves request after request, pipelined too, then an upgrade', async (t) => {
  const { port } = await start(t);
  const s = await opened(port);
  const replies = new Responses(s);
  s.write(GET('/a.txt'));
  assert.equal((await replies.next('the first answer')).body, 'aaa');
  s.write(GET('/index.html') + GET('/a.txt'));
  assert.equal((await replies.next('the second answer')).body, '<h1>page</h1>');
  assert.equal((await replies.next('the pipelined answer')).body, 'aaa');
  s.write(GET('/missing'));
  const missing = await replies.next('the 404');
  assert.equal(missing.status, 404);
  assert.doesNotMatch(missing.head, /connection: close/i, "the service's own 404 keeps the connection");
  s.write(UPGRADE('/echo'));
  assert.equal((await replies.next('the upgrade on the same connection')).status, 101);
  s.destroy();
});

test('a request in absolute-form is served by the host its target names, and its Host header is ignored (RFC 9112)', async (t) => {
  const pages = (name: string, host: string, text: string): Route => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-abs-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'a.txt'), text);
    const where: AcceptUri = { ...accept('http', '/'), uri: `http://${host}:0/`, host };
    const service = new DirectoryService(serviceConfig({ name, type: 'directory', accepts: [where], directory: { directory: dir, welcomeFile: 'index.html', errorPagesDirectory: undefined, indexes: false, locations: [] } }));
    return { accept: where, service, wss: undefined, access: compileAccessRules([]), meter: new PrometheusMetrics({ processMetrics: false }).service(name) };
  };
  const a = pages('a', 'a.example', 'from a');
  const b = pages('b', 'b.example', 'from b');
  const { port } = await listen(t, [a, b]);
  const s = await opened(port);
  const replies = new Responses(s);
  s.write(`GET /a.txt HTTP/1.1\r\nHost: a.example\r\n\r\n`);
  assert.equal((await replies.next('the origin-form answer')).body, 'from a');
  s.write(`GET http://b.example:${port}/a.txt HTTP/1.1\r\nHost: a.example\r\n\r\n`);
  const answer = await replies.next('the absolute-form answer');
  assert.equal(answer.status, 200);
  assert.equal(answer.body, 'from b');
  s.write(`GET http://someone@b.example/a.txt HTTP/1.1\r\nHost: a.example\r\n\r\n`);
  const bad = await replies.next('the answer to a target with userinfo');
  assert.equal(bad.status, 400);
  assert.match(bad.body, /names no host/);
  s.destroy();
});

test('an upgrade in absolute-form is upgraded; one without a readable authority gets 400', async (t) => {
  const { port } = await start(t);
  const ws = await opened(port);
  const upgraded = new Responses(ws);
  ws.write(UPGRADE(`http://127.0.0.1:${port}/echo`));
  assert.equal((await upgraded.next('the upgrade')).status, 101);
  ws.destroy();
  const bad = await opened(port);
  const refused = new Responses(bad);
  bad.write(UPGRADE('http:///echo'));
  assert.equal((await refused.next('the refusal')).status, 400);
  bad.destroy();
});

test('an upgrade over HTTP/1.0, with two Host headers or with a body gets 400 saying which', async (t) => {
  const { port } = await start(t);
  const valid = UPGRADE('/echo');
  const cases: [string, RegExp][] = [
    [valid.replace('HTTP/1.1', 'HTTP/1.0'), /needs HTTP\/1\.1/],
    [valid.replace('Host: 127.0.0.1\r\n', 'Host: 127.0.0.1\r\nHost: other.example\r\n'), /more than one Host header/],
    [valid.replace('\r\n\r\n', '\r\nContent-Length: 5\r\n\r\nhello'), /has no body/],
    [valid.replace('\r\n\r\n', '\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'), /has no body/],
  ];
  for (const [request, why] of cases) {
    const s = await opened(port);
    const replies = new Responses(s);
    s.write(request);
    const answer = await replies.next('the refusal');
    assert.equal(answer.status, 400, request);
    assert.match(answer.body, why);
    s.destroy();
  }
  const ok = await opened(port);
  const upgraded = new Responses(ok);
  ok.write(valid.replace('\r\n\r\n', '\r\nContent-Length: 0\r\n\r\n'));
  assert.equal((await upgraded.next('the upgrade')).status, 101, 'an empty body is no body');
  ok.destroy();
});

test('what no HTTP service takes gets 426 where a WebSocket service would upgrade it, else 404, and the connection closes', async (t) => {
  const { port } = await start(t, {}, compileAccessRules([]));
  // The directory is at /, so only an address without it shows the listener's own answers.
  const { port: wsOnly } = await startWithout(t);
  for (const [p, path, status] of [[wsOnly, '/echo', 426], [port, '/echo', 404]] as const) {
    const s = await opened(p);
    const replies = new Responses(s);
    s.write(GET(path));
    const reply = await replies.next(`the answer to ${path}`);
    assert.equal(reply.status, status, path);
    if (status === 426) assert.match(reply.head, /\r\nconnection: close/i);
    if (status === 426) await within(once(s, 'close'), 'the connection to close after the refusal');
    s.destroy();
  }
});

/** A listener with only WebSocket routes, to see the listener's answers to plain requests. */
async function startWithout(t: { after(fn: () => unknown): void }): Promise<Rig> {
  const echo = new EchoService(serviceConfig({ name: 'echo', type: 'echo' }));
  const metrics = new PrometheusMetrics({ processMetrics: false });
  return listen(t, [{ accept: accept('ws', '/echo'), service: echo, wss: new WebSocketServer({ noServer: true }), access: compileAccessRules([]), meter: metrics.service('echo') }]);
}

test('http.keepalive.timeout closes an idle kept-alive connection', async (t) => {
  const { port } = await start(t, { keepAliveTimeoutMs: 200 });
  const s = await opened(port);
  const replies = new Responses(s);
  s.write(GET('/a.txt'));
  assert.equal((await replies.next('the answer')).status, 200);
  const began = performance.now();
  await within(once(s, 'close'), 'the idle connection to be closed');
  assert.ok(performance.now() - began >= 150, 'not closed before the keep-alive timeout');
});

test('ws.handshake.timeout bounds the first request and each later one on a kept-alive connection (408)', async (t) => {
  const { port, log } = await start(t, { handshakeTimeoutMs: 300, keepAliveTimeoutMs: 5000 });
  const first = await opened(port);
  const firstReplies = new Responses(first);
  first.write('GET /a.txt HTTP/1.1\r\nHost: 12');
  assert.equal((await firstReplies.next('the 408 to a slow first request')).status, 408);
  const s = await opened(port);
  const replies = new Responses(s);
  s.write(GET('/a.txt'));
  assert.equal((await replies.next('the answer')).status, 200);
  // Idle longer than the handshake deadline: the keep-alive timeout, not the deadline, owns an idle connection.
  await within(log.waitFor((l) => l['event'] === 'request'), 'the request line');
  // A silent connection opened now is closed by its deadline: by then the idle one has outlived a deadline too.
  const probe = await opened(port);
  await within(once(probe, 'close'), 'a silent connection to reach its deadline');
  assert.equal(replies.closed, false, 'an idle kept-alive connection is not closed by the handshake deadline');
  s.write('GET /a.txt HTTP/1.1\r\nHost: 1');
  const slow = await replies.next('the 408 to a slow second request');
  assert.equal(slow.status, 408);
  const line = await within(log.waitFor((l) => l['kind'] === 'handshake timeout' && l['reason'] === 'HTTP request not completed'), 'the timeout line');
  assert.equal(line['timeoutMs'], 300);
  s.destroy();
  first.destroy();
});

test('access-constraints apply to plain requests: a refused client gets 403 and the connection closes', async (t) => {
  const rules = compileAccessRules([{ subjects: [], sans: [], fingerprints: [], addresses: ['10.0.0.0/8'], pathIdentity: undefined, position: { file: 't.xml', line: 1, column: 1 } }]);
  const { port, log, metrics } = await start(t, {}, rules);
  const s = await opened(port);
  const replies = new Responses(s);
  s.write(GET('/a.txt'));
  const reply = await replies.next('the refusal');
  assert.equal(reply.status, 403);
  assert.match(reply.head, /\r\nconnection: close/i);
  const line = await within(log.waitFor((l) => l['code'] === 'GW_ERR_ACCESS_DENIED'), 'the refusal line');
  // The recent refusals (status, the status page) say which conditions failed, as the log does; the client is not told.
  assert.deepEqual(metrics.recentRefusals().map((r) => r.message), [`403 Forbidden: access-constraint not satisfied: ${String(line['reason'])}`]);
  assert.match(String(line['reason']), /10\.0\.0\.0\/8/);
  assert.doesNotMatch(reply.body, /10\.0\.0\.0/);
  s.destroy();
});
