/**
 * `start --workers 2`: whichever worker takes a management request answers for both. /metrics counts the
 * connections of both; /api/status and /api/connections list them, and a connection is closed wherever it is.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { WebSocket } from 'ws';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { workspace, type Workspace } from '../helpers/e2e-setup.js';
import { ECHO, echoAndManagementConfig } from '../helpers/management-gateway.js';
import { WAIT_MS, event, withDeadline } from '../helpers/deadline.js';
import type { ConnectionPage, ConnectionRow } from '../../src/services/management/connections.js';
import type { Overview } from '../../src/services/management/overview.js';

const MANAGEMENT = 'http://127.0.0.1:0/';
let space: Workspace;
let gw: GatewayProcess;

before(async () => {
  space = workspace();
  gw = await GatewayProcess.start(
    echoAndManagementConfig(space, MANAGEMENT),
    ['--workers', '2'],
  );
  await gw.waitFor((l) => l.msg === 'worker 1 started');
  await gw.waitFor((l) => l.msg === 'worker 2 started');
});

after(async () => {
  await gw?.stop();
  space?.cleanup();
});

test('metrics are summed over the workers', async () => {
  // Connections are handed to the workers in turn: six reach both.
  for (let i = 0; i < 6; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port(ECHO)}/echo`);
    await event(ws, 'open', 'a client to open');
    const closed = event(ws, 'close', 'the client to close');
    ws.close(1000);
    await closed;
  }
  await gw.waitFor((l) => l['event'] === 'close' && l['worker'] === 1);
  await gw.waitFor((l) => l['event'] === 'close' && l['worker'] === 2);
  const counted = async (): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${gw.port(MANAGEMENT)}/metrics`)).text();
    const match = /^gateway_connections_opened_total\{service="echo"\} (\d+)$/m.exec(text);
    return Number(match?.[1] ?? -1);
  };
  // Two scrapes, likely taken by different workers: both see all six.
  assert.equal(await withDeadline(counted(), WAIT_MS, 'a scrape'), 6);
  assert.equal(await withDeadline(counted(), WAIT_MS, 'a second scrape'), 6);
});

const MUTATE = { 'X-Gateway-Request': '1', 'Content-Type': 'application/json' };

async function api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await withDeadline(fetch(`http://127.0.0.1:${gw.port(MANAGEMENT)}${path}`, init), WAIT_MS, `${init.method ?? 'GET'} ${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

test('the connections of both workers are listed, counted and closed from either', async () => {
  const clients = new Map<string, WebSocket>();
  const opened: WebSocket[] = [];
  const localPorts = new Map<WebSocket, number>();
  for (let i = 0; i < 6; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port(ECHO)}/echo`);
    ws.once('upgrade', (res) => localPorts.set(ws, res.socket.localPort as number));
    await event(ws, 'open', 'a client to open');
    opened.push(ws);
  }
  try {
    // Each client's id is on its open line; the primary hands clients to the workers in turn.
    await gw.waitFor((l) => l['event'] === 'open' && l['worker'] === 1);
    await gw.waitFor((l) => l['event'] === 'open' && l['worker'] === 2);

    // Requests are handed out in turn too: several of each kind reach both workers, and each sees all six.
    for (let i = 0; i < 3; i++) {
      const list = await api<ConnectionPage>('/api/connections?service=echo');
      assert.equal(list.status, 200);
      assert.equal(list.body.total, 6);
      assert.equal(list.body.connections.length, 6);
      const ids = list.body.connections.map((c) => c.id);
      assert.equal(new Set(ids).size, 6, `ids are unique across the workers: ${ids.join(' ')}`);
      assert.deepEqual(new Set(ids.map((id) => id.split('-')[0])), new Set(['1', '2']), 'each id names its worker');
      const opens = list.body.connections.map((c) => c.openedAt);
      assert.deepEqual(opens, [...opens].sort(), 'oldest first across the workers');

      const paged = await api<ConnectionPage>('/api/connections?service=echo&offset=2&limit=3');
      assert.deepEqual(paged.body.connections.map((c) => c.id), ids.slice(2, 5));
      assert.equal(paged.body.total, 6);

      const status = await api<Overview>('/api/status');
      assert.equal(status.body.connections, 6);
      assert.equal(status.body.services.find((s) => s.name === 'echo')?.connections, 6);
      assert.deepEqual(status.body.workers?.map((w) => w.worker), [1, 2]);
      assert.equal(status.body.workers?.reduce((sum, w) => sum + w.connections, 0), 6);
    }

    const list = await api<ConnectionPage>('/api/connections?service=echo');
    const byWorker = new Map<string, ConnectionRow>();
    for (const c of list.body.connections) byWorker.set(c.id.split('-')[0] as string, c);
    // Match each listed connection to its client by the client's local port.
    for (const ws of opened) {
      const port = localPorts.get(ws);
      const row = list.body.connections.find((c) => c.port === port);
      assert.ok(row, `client on port ${port} is listed`);
      clients.set(row.id, ws);
    }

    // One connection of each worker, closed by id: several requests, so either worker may take each.
    for (const [, row] of byWorker) {
      const ws = clients.get(row.id) as WebSocket;
      const closed = event<[number]>(ws, 'close', `connection ${row.id} to be closed`);
      const one = await api<ConnectionRow>(`/api/connections/${row.id}`);
      assert.equal(one.status, 200);
      assert.equal(one.body.id, row.id);
      const res = await api<{ closed: string[] }>(`/api/connections/${row.id}`, { method: 'DELETE', headers: MUTATE });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.closed, [row.id]);
      assert.equal((await closed)[0], 1008);
      clients.delete(row.id);
    }
    const gone = await api<{ error: { code: string } }>('/api/connections/9-zz', { method: 'DELETE', headers: MUTATE });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'GW_ERR_SESSION_NOT_FOUND');

    // The other four, by filter, wherever they are.
    const closings = [...clients.values()].map((ws) => event<[number]>(ws, 'close', 'a client closed by filter'));
    const res = await api<{ closed: string[] }>('/api/connections?service=echo', { method: 'DELETE', headers: MUTATE });
    assert.equal(res.status, 200);
    assert.deepEqual(new Set(res.body.closed), new Set(clients.keys()));
    for (const code of await Promise.all(closings)) assert.equal(code[0], 1008);
  } finally {
    for (const ws of opened) ws.terminate();
  }
});

/** A GET on a connection of its own (no keep-alive), so that the primary hands it to a worker of its own choice. */
function getAlone(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port: gw.port(MANAGEMENT), path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

test('a worker that does not answer makes the request fail with 503 naming it, not a list without its connections', async () => {
  const started = gw.lines.filter((l) => typeof l.msg === 'string' && /^worker \d+ started$/.test(l.msg));
  const stuck = started[started.length - 1];
  assert.ok(stuck, 'a worker started');
  const pid = stuck['pid'] as number;
  const worker = stuck['worker'] as number;
  process.kill(pid, 'SIGSTOP');
  try {
    // The primary hands each new connection to a worker that is free: one of the two goes to the stopped worker and
    // waits for it, the other is answered by the running one once the deadline for the stopped one has passed.
    const first = getAlone('/api/connections');
    const second = getAlone('/api/connections');
    const answered = await withDeadline(Promise.race([first, second]), WAIT_MS, 'the running worker to answer');
    assert.equal(answered.status, 503);
    const body = JSON.parse(answered.body) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'GW_ERR_MANAGEMENT_WORKERS');
    assert.match(body.error.message, new RegExp(`^worker ${worker} did not answer within 5000 ms`));
    process.kill(pid, 'SIGCONT');
    const both = await withDeadline(Promise.all([first, second]), WAIT_MS, 'the stopped worker, resumed, to answer');
    assert.ok(both.some((r) => r.status === 200), 'once resumed, the request it held is answered for both workers');
  } finally {
    process.kill(pid, 'SIGCONT');
  }
});
