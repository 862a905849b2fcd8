/**
 * `start --workers 2`: whichever worker takes a management request answers for both. /metrics counts the
 * connections of both; /api/status and /api/connections list them, and a connection is closed wherever it is.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
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
  gw = await GatewayProcess.startWorkers(echoAndManagementConfig(space, MANAGEMENT), 2);
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
    const { body: text } = await alone('/metrics');
    const match = /^gateway_connections_opened_total\{service="echo"\} (\d+)$/m.exec(text);
    return Number(match?.[1] ?? -1);
  };
  // Two scrapes, likely taken by different workers: both see all six.
  assert.equal(await withDeadline(counted(), WAIT_MS, 'a scrape'), 6);
  assert.equal(await withDeadline(counted(), WAIT_MS, 'a second scrape'), 6);
  // One reload, which every worker makes: counted once, not once per worker.
  process.kill(gw.pid, 'SIGHUP');
  await gw.waitFor((l) => l.msg === 'worker 1 reloaded');
  await gw.waitFor((l) => l.msg === 'worker 2 reloaded');
  const { body } = await withDeadline(alone('/metrics'), WAIT_MS, 'a scrape after the reload');
  assert.match(body, /^gateway_reloads_total\{result="success"\} 1$/m);
});

const MUTATE = { 'X-Gateway-Request': '1', 'Content-Type': 'application/json' };

/**
 * A request on a connection of its own (no keep-alive): the primary hands each new connection to a free worker,
 * so successive requests reach both workers rather than the one a kept-alive connection went to.
 */
function alone(path: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: gw.port(MANAGEMENT), path, method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

async function api<T>(path: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: T }> {
  const res = await withDeadline(alone(path, init.method, init.headers), WAIT_MS, `${init.method ?? 'GET'} ${path}`);
  return { status: res.status, body: JSON.parse(res.body) as T };
}

test('the connections of both workers are listed, counted and closed from either', async () => {
  const clients = new Map<string, WebSocket>();
  const opened: WebSocket[] = [];
  const localPorts = new Map<WebSocket, number>();
  const mark = gw.lines.length;
  let openLines = 0;
  const allOpen = gw.waitFor((l) => l['event'] === 'open' && l['service'] === 'echo' && gw.lines.indexOf(l) >= mark && ++openLines === 6);
  allOpen.catch(() => {}); // awaited below; a client that fails to open first fails the test instead
  for (let i = 0; i < 6; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port(ECHO)}/echo`);
    ws.once('upgrade', (res) => localPorts.set(ws, res.socket.localPort as number));
    await event(ws, 'open', 'a client to open');
    opened.push(ws);
  }
  try {
    // Each client's open line is logged once its service holds it.
    await allOpen;
    // Requests are handed out in turn too: several of each kind reach both workers, and each sees all six. The
    // primary hands clients out in turn as well, so the six are held by both (each id names its worker).
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
      assert.equal(status.body.workersExpected, 2);
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
    const first = alone('/api/connections');
    const second = alone('/api/connections');
    // Either may be left unread if an assertion below fails; the gateway's stop then rejects it.
    first.catch(() => {});
    second.catch(() => {});
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

test('a request for one connection asks only the worker its id names: another, stopped, does not hold it up', async () => {
  const mark = gw.lines.length;
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port(ECHO)}/echo`);
  await event(ws, 'open', 'a client to open');
  try {
    const opened = await gw.waitFor((l) => l['event'] === 'open' && l['service'] === 'echo' && gw.lines.indexOf(l) >= mark);
    const id = String(opened['conn']);
    const owner = Number(id.split('-')[0]);
    const other = gw.lines.filter((l) => typeof l.msg === 'string' && /^worker \d+ started$/.test(l.msg) && l['worker'] !== owner).pop();
    assert.ok(other, `a worker other than ${owner} is running`);
    const pid = other['pid'] as number;
    process.kill(pid, 'SIGSTOP');
    try {
      // As above, one request waits in the stopped worker and the other is answered by the owner at once.
      const first = alone(`/api/connections/${id}`);
      const second = alone(`/api/connections/${id}`);
      first.catch(() => {});
      second.catch(() => {});
      const answered = await withDeadline(Promise.race([first, second]), WAIT_MS, 'the owner of the connection to answer');
      assert.equal(answered.status, 200, answered.body);
      assert.equal((JSON.parse(answered.body) as ConnectionRow).id, id);
      process.kill(pid, 'SIGCONT');
      for (const r of await withDeadline(Promise.all([first, second]), WAIT_MS, 'the stopped worker, resumed, to answer')) assert.equal(r.status, 200);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  } finally {
    ws.terminate();
  }
});

test('a worker that dies leaves its counts in the sum, so counters never fall, and its open connections out of it', async () => {
  const sample = (text: string, name: string): number => {
    const match = new RegExp(`^${name}\\{service="echo"\\} (\\d+)$`, 'm').exec(text);
    return Number(match?.[1] ?? -1);
  };
  const mark = gw.lines.length;
  let opens = 0;
  const allOpen = gw.waitFor((l) => l['event'] === 'open' && l['service'] === 'echo' && gw.lines.indexOf(l) >= mark && ++opens === 4);
  allOpen.catch(() => {});
  // Four clients held open: handed out in turn, both workers hold some.
  const held: WebSocket[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${gw.port(ECHO)}/echo`);
      ws.on('error', () => {}); // the killed worker's clients lose their connection
      await event(ws, 'open', 'a client to open');
      held.push(ws);
    }
    const openLines = (await allOpen, gw.lines.slice(mark).filter((l) => l['event'] === 'open' && l['service'] === 'echo'));
    const before = (await withDeadline(alone('/metrics'), WAIT_MS, 'a scrape')).body;
    const opened = sample(before, 'gateway_connections_opened_total');
    assert.ok(opened >= 4, before);
    assert.equal(sample(before, 'gateway_connections_open'), 4);

    const victim = gw.lines.filter((l) => typeof l.msg === 'string' && /^worker \d+ started$/.test(l.msg)).pop();
    assert.ok(victim, 'a worker started');
    const id = victim['worker'] as number;
    const itsOwn = openLines.filter((l) => String(l['conn']).startsWith(`${id}-`)).length;
    assert.ok(itsOwn > 0 && itsOwn < 4, `worker ${id} holds ${itsOwn} of the four`);
    const exitMark = gw.lines.length;
    process.kill(victim['pid'] as number, 'SIGKILL');
    await gw.waitFor((l) => gw.lines.indexOf(l) >= exitMark && /^worker \d+ started$/.test(String(l.msg)));

    // Twice: either worker may take the scrape.
    for (let i = 0; i < 2; i++) {
      const after = (await withDeadline(alone('/metrics'), WAIT_MS, 'a scrape after the worker died')).body;
      assert.equal(sample(after, 'gateway_connections_opened_total'), opened, 'the dead worker still counts what it opened');
      assert.equal(sample(after, 'gateway_connections_open'), 4 - itsOwn, 'the dead worker holds nothing now');
    }
  } finally {
    for (const ws of held) ws.terminate();
  }
});
