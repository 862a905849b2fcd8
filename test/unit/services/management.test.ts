import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { Gateway } from '../../../src/gateway.js';
import { NO_METRICS } from '../../../src/metrics/types.js';
import { MAXIMUM_VIEWERS, SNAPSHOT_INTERVAL_MS, StatusFeed } from '../../../src/services/management/events.js';
import { ManagementService } from '../../../src/services/management/service.js';
import type { ManagementView } from '../../../src/services/management/view.js';
import type { ManagementSource } from '../../../src/services/management/types.js';
import type { AcceptUri } from '../../../src/config/types.js';
import type { ConnectionContext } from '../../../src/services/types.js';
import { config, doc, parse } from '../../helpers/config.js';
import { memoryLog, type MemoryLog } from '../../helpers/memory-log.js';
import { serviceConfig } from '../../helpers/service-config.js';
import { WAIT_MS, event, withDeadline } from '../../helpers/deadline.js';

const within = <T>(p: Promise<T>, what: string): Promise<T> => withDeadline(p, WAIT_MS, what);

const ECHO = doc('  <service>', '    <name>echo</name>', '    <accept>ws://127.0.0.1:0/echo</accept>', '    <type>echo</type>', '  </service>');

interface Rig {
  readonly gateway: Gateway;
  readonly echoPort: number;
  readonly url: string;
  readonly ready: string[];
  readonly logs: MemoryLog;
  readonly management: ManagementService;
}

/** A gateway with an echo service, and the management service answering on a plain HTTP server under /manage. */
async function rig(t: { after(fn: () => unknown): void }, options: { readOnly?: boolean } = {}): Promise<Rig> {
  const logs = memoryLog();
  const prepared = Gateway.prepare(config(parse(ECHO)), { log: logs.log });
  assert.ok(prepared.ok);
  const gateway = prepared.gateway;
  const [bound] = await within(gateway.start(), 'the gateway to start');
  assert.ok(bound);
  const ready: string[] = [];
  const source: ManagementSource = {
    sessions: gateway.sessions,
    cluster: false,
    readiness: (services = []) => [...ready, ...services.map((name) => `asked about "${name}"`)],
    metrics: async () => 'gateway_connections_open{service="echo"} 1\n',
    refusals: () => [],
    services: () => [{ name: 'echo', type: 'echo', accepts: ['ws://127.0.0.1:0/echo'], available: true }],
    listeners: () => [{ address: '127.0.0.1:0', listening: true }],
    certificates: () => ({ server: [], soonestClientCa: undefined, soonestCrl: undefined }),
    lastReload: () => undefined,
  };
  const accept = (uri: string): AcceptUri => {
    const u = new URL(uri);
    return { uri, scheme: 'http', host: u.hostname, port: Number(u.port), path: u.pathname, listen: { host: '127.0.0.1', port: 0 }, position: { file: 't.xml' } };
  };
  const accepts = [accept('http://127.0.0.1:0/manage'), accept('http://ops.example.com:9090/manage')];
  const management = new ManagementService({ ...serviceConfig({ name: 'management', type: 'echo', accepts }), management: { readOnly: options.readOnly === true } }, source);
  const server = createServer((req, res) => {
    const ctx = { accept: 'http://127.0.0.1:0/manage', log: logs.log, meter: NO_METRICS.service('management') } as unknown as ConnectionContext;
    // What the listener does with a service that throws (plain-request.ts).
    try {
      management.handleRequest(req, res, ctx);
    } catch (err) {
      logs.log.error({ err }, 'HTTP service failed on a request');
      res.writeHead(500).end();
    }
  });
  server.listen(0, '127.0.0.1');
  await event(server, 'listening', 'the management server to listen');
  t.after(async () => {
    await management.stop();
    server.closeAllConnections();
    server.close();
    await gateway.stop();
  });
  return { gateway, echoPort: bound.port, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/manage`, ready, logs, management };
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** `path`: the request target exactly as sent, in place of the URL's own. */
function call(url: string, method = 'GET', headers: Record<string, string> = {}, path?: string): Promise<Answer> {
  return within(
    new Promise<Answer>((resolve, reject) => {
      const req = request(url, { method, headers, ...(path === undefined ? {} : { path }) }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    }),
    `${method} ${url}`,
  );
}

const MUTATE = { 'X-Gateway-Request': '1', 'Content-Type': 'application/json' };

async function client(port: number): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`);
  await event(ws, 'open', 'a client to open');
  return ws;
}

test('healthz is alive; readyz is 200 when ready and 503 naming why when not', async (t) => {
  const { url, ready } = await rig(t);
  const health = await call(`${url}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(JSON.parse(health.body).status, 'alive');
  assert.equal((await call(`${url}/readyz`)).status, 200);
  ready.push('gateway is draining');
  const notReady = await call(`${url}/readyz`);
  assert.equal(notReady.status, 503);
  assert.deepEqual(JSON.parse(notReady.body), { ready: false, reasons: ['gateway is draining'] });
  assert.equal(notReady.headers['cache-control'], 'no-store');
  const named = await call(`${url}/readyz?service=telemetry&service=a%20b`);
  assert.deepEqual(JSON.parse(named.body).reasons, ['gateway is draining', 'asked about "telemetry"', 'asked about "a b"'], 'the services named are passed on');
});

test('health probes and metrics scrapes are routine requests (logged at debug); the rest of the API is not', async (t) => {
  const { management } = await rig(t);
  const routine = (method: string, url: string) => management.isRoutineRequest({ method, url } as IncomingMessage, 'http://127.0.0.1:0/manage');
  assert.deepEqual(['/manage/healthz', '/manage/readyz', '/manage/metrics'].map((u) => routine('GET', u)), [true, true, true]);
  assert.equal(routine('HEAD', '/manage/readyz'), true);
  assert.deepEqual(['/manage/api/status', '/manage/status', '/manage/'].map((u) => routine('GET', u)), [false, false, false]);
  assert.equal(routine('DELETE', '/manage/metrics'), false);
  assert.equal(routine('GET', 'http://[bad'), false);
});

test('metrics are Prometheus text', async (t) => {
  const { url } = await rig(t);
  const answer = await call(`${url}/metrics`);
  assert.equal(answer.status, 200);
  assert.match(String(answer.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  assert.match(answer.body, /gateway_connections_open/);
});

test('connections are listed, filtered and paged', async (t) => {
  const { url, echoPort, gateway } = await rig(t);
  const clients = [await client(echoPort), await client(echoPort), await client(echoPort)];
  t.after(() => clients.forEach((c) => c.terminate()));
  const all = JSON.parse((await call(`${url}/api/connections`)).body);
  assert.equal(all.total, 3);
  assert.equal(all.connections.length, 3);
  assert.equal(all.connections[0].service, 'echo');
  assert.equal(all.connections[0].address, '127.0.0.1');
  assert.equal(all.connections[0].subject, null);
  assert.equal(all.connections[0].certificateValidTo, null);
  assert.equal(all.connections[0].ticket, null);
  const second = JSON.parse((await call(`${url}/api/connections?offset=1&limit=1`)).body);
  assert.equal(second.total, 3);
  assert.deepEqual(second.connections.map((c: { id: string }) => c.id), [all.connections[1].id]);
  assert.equal(JSON.parse((await call(`${url}/api/connections?service=other`)).body).total, 0);
  const [first] = [...gateway.sessions];
  assert.ok(first);
  const one = await call(`${url}/api/connections/${first.id}`);
  assert.equal(JSON.parse(one.body).id, first.id);
  const bad = await call(`${url}/api/connections?limit=100000`);
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.body).error.code, 'GW_ERR_MANAGEMENT_REQUEST');
});

test('DELETE closes one connection with 1008; an unknown id is GW_ERR_SESSION_NOT_FOUND', async (t) => {
  const { url, echoPort, gateway } = await rig(t);
  const ws = await client(echoPort);
  const [session] = [...gateway.sessions];
  assert.ok(session);
  const closed = event<[number, Buffer]>(ws, 'close', 'the client to be closed');
  const answer = await call(`${url}/api/connections/${session.id}`, 'DELETE', MUTATE);
  assert.equal(answer.status, 200);
  assert.deepEqual(JSON.parse(answer.body).closed, [session.id]);
  const [code, reason] = await closed;
  assert.equal(code, 1008);
  assert.equal(reason.toString(), 'closed by the gateway operator');
  const missing = await call(`${url}/api/connections/nope`, 'DELETE', MUTATE);
  assert.equal(missing.status, 404);
  assert.equal(JSON.parse(missing.body).error.code, 'GW_ERR_SESSION_NOT_FOUND');
});

test('DELETE with a filter closes every match; without a filter it closes nothing', async (t) => {
  const { url, echoPort } = await rig(t);
  const clients = [await client(echoPort), await client(echoPort)];
  const closes = clients.map((c) => event<[number]>(c, 'close', 'a client to be closed'));
  const refused = await call(`${url}/api/connections`, 'DELETE', MUTATE);
  assert.equal(refused.status, 400);
  const answer = await call(`${url}/api/connections?service=echo`, 'DELETE', MUTATE);
  assert.equal(answer.status, 200);
  assert.equal(JSON.parse(answer.body).closed.length, 2);
  assert.deepEqual((await Promise.all(closes)).map(([code]) => code), [1008, 1008]);
});

test('read-only: every reading request is answered; closing is refused with 405 and closes nothing; the page offers no close', async (t) => {
  const { url, echoPort, gateway } = await rig(t, { readOnly: true });
  const ws = await client(echoPort);
  t.after(() => ws.terminate());
  const [session] = [...gateway.sessions];
  assert.ok(session);
  assert.equal((await call(`${url}/api/connections`)).status, 200);
  assert.equal((await call(`${url}/api/connections/${session.id}`)).status, 200);
  for (const target of [`${url}/api/connections/${session.id}`, `${url}/api/connections?service=echo`]) {
    const refused = await call(target, 'DELETE', MUTATE);
    assert.equal(refused.status, 405);
    assert.equal(refused.headers['allow'], 'GET, HEAD');
    assert.match(JSON.parse(refused.body).error.message, /^this management service is read-only \(<read-only>true<\/read-only>\)/);
  }
  assert.equal(session.closing, undefined, 'nothing was closed');
  assert.equal(ws.readyState, WebSocket.OPEN);
  // The feed tells the page, which then draws no close buttons.
  const feed = await within(
    new Promise<string>((resolve) => {
      const req = request(`${url}/status/events?limit=10`, (res) => {
        res.setEncoding('utf8');
        res.once('data', (d: string) => {
          resolve(d);
          req.destroy();
        });
      });
      req.end();
    }),
    'the first snapshot',
  );
  assert.match(feed, /"readOnly":true/);
  // Another method is told only what a read-only service allows.
  const put = await call(`${url}/api/connections/${session.id}`, 'PUT', MUTATE);
  assert.deepEqual([put.status, put.headers['allow']], [405, 'GET, HEAD']);
});

test('a mutating request needs the custom header, JSON, and no cross-site origin', async (t) => {
  const { url, echoPort, gateway } = await rig(t);
  const ws = await client(echoPort);
  t.after(() => ws.terminate());
  const [session] = [...gateway.sessions];
  assert.ok(session);
  const target = `${url}/api/connections/${session.id}`;
  const host = new URL(url).host;
  for (const [headers, words] of [
    [{ 'Content-Type': 'application/json' }, /X-Gateway-Request/],
    [{ 'X-Gateway-Request': '1' }, /Content-Type: application\/json/],
    [{ 'X-Gateway-Request': '1', 'Content-Type': 'text/plain' }, /Content-Type: application\/json/],
    [{ ...MUTATE, 'Sec-Fetch-Site': 'cross-site' }, /cross-site request/],
    [{ ...MUTATE, Origin: 'https://evil.example' }, /evil\.example/],
  ] as const) {
    const answer = await call(target, 'DELETE', headers);
    assert.equal(answer.status, 403, JSON.stringify(headers));
    assert.match(JSON.parse(answer.body).error.message, words);
  }
  assert.equal(session.closing, undefined, 'nothing was closed');
  const sameOrigin = await call(target, 'DELETE', { ...MUTATE, Origin: `http://${host}`, 'Sec-Fetch-Site': 'same-origin' });
  assert.equal(sameOrigin.status, 200);
  assert.equal((await call(`${url}/api/connections`, 'POST', MUTATE)).status, 405);
  assert.equal((await call(`${url}/healthz`, 'DELETE', MUTATE)).status, 405);
});

test('only a path is read from the request target: // and //host/… are paths, anything else is a 400', async (t) => {
  const { url, logs } = await rig(t);
  const { port } = new URL(url);
  const raw = (target: string): Promise<Answer> => call(`http://127.0.0.1:${port}`, 'GET', {}, target);
  for (const target of ['//', '//evil.example/manage/metrics', '//evil.example/manage/api/connections']) {
    const answer = await raw(target);
    assert.equal(answer.status, 404, target);
    assert.equal(JSON.parse(answer.body).error.code, 'GW_ERR_MANAGEMENT_REQUEST', target);
  }
  for (const target of ['*', 'http://127.0.0.1/manage/metrics']) {
    const answer = await raw(target);
    assert.equal(answer.status, 400, target);
    assert.deepEqual(JSON.parse(answer.body).error, { code: 'GW_ERR_MANAGEMENT_REQUEST', message: 'the request target must be a path beginning with "/"' });
  }
  assert.equal((await call(`${url}/metrics?x=1`)).status, 200, 'a path with a query is read as ever');
  assert.deepEqual(logs.lines.filter((l) => Number(l['level']) >= 50), [], 'nothing logged as an error');
});

test('DNS rebinding: a browser is answered only at an address, localhost or a name of an accept; other clients anywhere', async (t) => {
  const { url, echoPort, gateway } = await rig(t);
  const ws = await client(echoPort);
  t.after(() => ws.terminate());
  const [session] = [...gateway.sessions];
  assert.ok(session);
  const { port } = new URL(url);
  const rebound = `rebind.attacker.example:${port}`;
  const page = { Host: rebound, Origin: `http://${rebound}`, 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Mode': 'cors' };
  const requests: [string, string, Record<string, string>][] = [
    ['GET', '/api/connections', page],
    ['GET', '/api/status', page],
    ['GET', '/metrics', page],
    ['GET', '/status', { Host: rebound, 'Sec-Fetch-Site': 'none', 'Sec-Fetch-Mode': 'navigate' }],
    ['GET', '/status/events', { Host: rebound, 'Sec-Fetch-Mode': 'cors' }],
    ['GET', '/', { Host: rebound, Origin: `http://${rebound}` }],
    ['DELETE', `/api/connections/${session.id}`, { ...page, ...MUTATE }],
    ['DELETE', '/api/connections?service=echo', { ...page, ...MUTATE }],
  ];
  for (const [method, path, headers] of requests) {
    const answer = await call(`${url}${path}`, method, headers);
    assert.equal(answer.status, 421, `${method} ${path}`);
    const { code, message } = JSON.parse(answer.body).error;
    assert.equal(code, 'GW_ERR_MANAGEMENT_HOST');
    assert.match(message, /"rebind\.attacker\.example" is none of them/);
    assert.match(message, /add <accept>http:\/\/rebind\.attacker\.example:0\/manage<\/accept> to the service/);
  }
  assert.equal(session.closing, undefined, 'nothing was closed');
  for (const path of ['/healthz', '/readyz']) assert.equal((await call(`${url}${path}`, 'GET', page)).status, 200, `${path} stays open`);
  for (const host of [`127.0.0.1:${port}`, `[::1]:${port}`, `localhost:${port}`, 'ops.example.com:9090', 'OPS.Example.com.:9090', 'ops.example.com']) {
    const browser = { Host: host, Origin: `http://${host}`, 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Mode': 'cors' };
    assert.equal((await call(`${url}/api/connections`, 'GET', browser)).status, 200, `a browser at ${host}`);
  }
  for (const host of ['gateway.ops.svc.cluster.local:9090', '10.1.2.3:9090', rebound]) {
    assert.equal((await call(`${url}/metrics`, 'GET', { Host: host })).status, 200, `Prometheus or a probe at ${host}`);
  }
  const closed = event<[number]>(ws, 'close', 'the client to be closed by a client that is no browser');
  assert.equal((await call(`${url}/api/connections/${session.id}`, 'DELETE', { Host: 'gateway.ops.svc.cluster.local', ...MUTATE })).status, 200);
  assert.equal((await closed)[0], 1008);
});

test('the status page is served with a strict Content-Security-Policy and no inline code', async (t) => {
  const { url } = await rig(t);
  const page = await call(`${url}/status`);
  assert.equal(page.status, 200);
  const csp = String(page.headers['content-security-policy']);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.doesNotMatch(page.body, /<script>|<style>|\sstyle="|\son[a-z]+="/i, 'no inline script, style or handler');
  assert.doesNotMatch(page.body, /https?:\/\//, 'nothing external');
  for (const asset of ['status/app.js', 'status/app.css']) {
    assert.match(page.body, new RegExp(asset.replace('.', '\\.')));
    assert.equal((await call(`${url}/${asset}`)).status, 200);
  }
  const root = await call(`${url}/`);
  assert.equal(root.status, 302);
  assert.equal(root.headers.location, '/manage/status');
});

test('the status feed sends a snapshot at once, and another when a connection opens', async (t) => {
  const { url, echoPort } = await rig(t);
  const events: string[] = [];
  let notify: () => void = () => undefined;
  const req = request(`${url}/status/events?limit=10`);
  req.on('response', (res) => {
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (d: string) => {
      buffer += d;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) events.push(data.slice(6));
        notify();
      }
    });
  });
  req.end();
  t.after(() => req.destroy());
  const next = (count: number): Promise<void> =>
    within(
      new Promise<void>((resolve) => {
        notify = () => events.length >= count && resolve();
        notify();
      }),
      `snapshot ${count}`,
    );
  await next(1);
  const first = JSON.parse(events[0] ?? '{}');
  assert.equal(first.page.total, 0);
  assert.equal(first.overview.services[0].name, 'echo');
  assert.equal(first.readOnly, false, 'a management service closes connections unless read-only');
  const ws = await client(echoPort);
  t.after(() => ws.terminate());
  await next(2);
  const second = JSON.parse(events[1] ?? '{}');
  assert.equal(second.page.total, 1);
  assert.equal(second.overview.connections, 1);
});

test('viewers of the same page share one snapshot a tick', async () => {
  let pages = 0;
  let paged: () => void = () => undefined;
  const view = {
    overview: async () => ({}),
    page: async () => {
      pages++;
      paged();
      return { total: 0, offset: 0, connections: [] };
    },
  } as unknown as ManagementView;
  // One tick a second: the test sees one tick before the next.
  const feed = new StatusFeed(view, SNAPSHOT_INTERVAL_MS);
  const viewer = (): ServerResponse => {
    const res = new EventEmitter() as unknown as ServerResponse;
    Object.assign(res, { writableNeedDrain: false, writeHead: () => res, write: () => true, end: () => res.emit('close') });
    return res;
  };
  try {
    for (let i = 0; i < 10; i++) feed.open(viewer(), {}, 0, 50);
    feed.open(viewer(), { text: 'device' }, 0, 50);
    assert.equal(pages, 11, 'each viewer is sent its first snapshot at once');
    await within(new Promise<void>((resolve) => (paged = resolve)), 'a tick');
    assert.equal(pages, 13, 'one page for the ten viewers of one, one for the viewer of the other');
  } finally {
    feed.close();
  }
});

test('the status feed serves at most MAXIMUM_VIEWERS at once; one more is answered 503 with Retry-After', async (t) => {
  const { url } = await rig(t);
  const opened = await Promise.all(
    Array.from({ length: MAXIMUM_VIEWERS }, () =>
      within(
        new Promise<IncomingMessage>((resolve, reject) => {
          const req = request(`${url}/status/events`, { agent: false }, resolve);
          req.on('error', reject);
          req.end();
          t.after(() => req.destroy());
        }),
        'a viewer to be answered',
      ),
    ),
  );
  assert.ok(opened.every((res) => res.statusCode === 200));
  const refused = await call(`${url}/status/events`);
  assert.equal(refused.status, 503);
  assert.equal(refused.headers['retry-after'], '10');
  assert.match(JSON.parse(refused.body).error.message, new RegExp(`has ${MAXIMUM_VIEWERS} viewers already`));
});
