/** How the worker that takes a management request merges every worker's answers (services/management/cluster.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeOverviews, mergePages, workerOf } from '../../../src/services/management/cluster.js';
import type { ConnectionPage, ConnectionRow } from '../../../src/services/management/connections.js';
import type { Overview } from '../../../src/services/management/overview.js';

function row(id: string, openedAt: string): ConnectionRow {
  return {
    id,
    service: 'echo',
    accept: 'ws://127.0.0.1:0/echo',
    path: '/echo',
    address: '127.0.0.1',
    port: 40000,
    subject: null,
    fingerprint: null,
    verified: null,
    principal: null,
    ticket: null,
    certificateValidTo: null,
    openedAt,
    ageSeconds: 0,
    bytesIn: 0,
    bytesOut: 0,
    closing: false,
  };
}

/** A worker's page as it answers the primary: its first `count` matches, oldest first. */
function workerPage(total: number, rows: readonly ConnectionRow[]): ConnectionPage {
  return { total, offset: 0, limit: rows.length, connections: rows };
}

const at = (second: number): string => `2026-12-03T10:00:${String(second).padStart(2, '0')}.000Z`;

test('pages are merged oldest first across the workers, then cut to the offset and limit asked', () => {
  const one = { worker: 1, page: workerPage(3, [row('1-1', at(0)), row('1-2', at(2)), row('1-3', at(4))]) };
  const two = { worker: 2, page: workerPage(2, [row('2-1', at(1)), row('2-2', at(4))]) };
  const all = mergePages([one, two], 0, 100);
  assert.equal(all.total, 5);
  assert.deepEqual(all.connections.map((c) => c.id), ['1-1', '2-1', '1-2', '1-3', '2-2'], 'equal times: the lower worker first');
  const middle = mergePages([two, one], 1, 3);
  assert.deepEqual(middle.connections.map((c) => c.id), ['2-1', '1-2', '1-3'], 'the same order whichever worker answered first');
  assert.deepEqual({ total: middle.total, offset: middle.offset, limit: middle.limit }, { total: 5, offset: 1, limit: 3 });
  assert.deepEqual(mergePages([one, two], 10, 5).connections, []);
});

test("pages keep each worker's own order, so that paging neither skips nor repeats a connection", () => {
  // A worker lists connections as they were handed to their services, which is not always the order they were
  // accepted in (a backend connect comes between): 1-2 was accepted before 1-1 was handed over.
  const one = [row('1-1', at(3)), row('1-2', at(1)), row('1-3', at(5))];
  const two = [row('2-1', at(2)), row('2-2', at(4)), row('2-3', at(6))];
  // Each worker answers with its first offset + limit rows, as it would for that page.
  const pageOf = (offset: number, limit: number) =>
    mergePages(
      [
        { worker: 1, page: workerPage(3, one.slice(0, offset + limit)) },
        { worker: 2, page: workerPage(3, two.slice(0, offset + limit)) },
      ],
      offset,
      limit,
    ).connections.map((c) => c.id);
  const whole = pageOf(0, 6);
  assert.deepEqual(new Set(whole), new Set([...one, ...two].map((c) => c.id)));
  for (const size of [1, 2, 4]) {
    const paged: string[] = [];
    for (let offset = 0; offset < 6; offset += size) paged.push(...pageOf(offset, size));
    assert.deepEqual(paged, whole, `pages of ${size}`);
  }
});

test('a page beyond what the workers sent is counted but has only the rows they sent', () => {
  // Each worker sends at most offset + limit rows; the totals still count every match.
  const merged = mergePages([{ worker: 1, page: workerPage(500, [row('1-1', at(0))]) }], 0, 1);
  assert.equal(merged.total, 500);
  assert.equal(merged.connections.length, 1);
});

test('a connection id names its worker; an id no worker made names none', () => {
  assert.equal(workerOf('2-1a'), 2);
  assert.equal(workerOf('12-z'), 12);
  for (const id of ['1a', '0-1', '-1', '2-', '2-1A', ' 2-1', '2-1/x']) assert.equal(workerOf(id), undefined, id);
});

function overview(pid: number, fields: Partial<Overview>): Overview {
  return {
    ready: true,
    reasons: [],
    pid,
    connections: 0,
    services: [{ name: 'echo', type: 'echo', accepts: ['ws://127.0.0.1:0/echo'], available: true, connections: 0 }],
    listeners: [{ address: '127.0.0.1:8000', listening: true }],
    certificates: [],
    lastReload: null,
    refusals: [],
    ...fields,
  };
}

function refusal(at: string, message: string): Overview['refusals'][number] {
  return { at, reason: 'deadline', listener: '127.0.0.1:8000', service: null, downstream: '127.0.0.1:1', subject: null, message };
}

test('overviews are summed: connections per service, readiness of all, refusals newest first, each worker listed', () => {
  const own = overview(101, {
    connections: 2,
    services: [{ name: 'echo', type: 'echo', accepts: ['ws://127.0.0.1:0/echo'], available: true, connections: 2 }],
    refusals: [refusal('2026-12-03T10:00:01.000Z', 'a')],
  });
  const other = overview(102, {
    ready: false,
    reasons: ['gateway is draining'],
    connections: 3,
    services: [{ name: 'echo', type: 'echo', accepts: ['ws://127.0.0.1:0/echo'], available: false, connections: 3 }],
    listeners: [{ address: '127.0.0.1:8000', listening: false }],
    refusals: [refusal('2026-12-03T10:00:02.000Z', 'b'), refusal('2026-12-03T10:00:00.000Z', 'c')],
  });
  const merged = mergeOverviews(own, [
    { worker: 2, overview: other },
    { worker: 1, overview: own },
  ]);
  assert.equal(merged.pid, 101, 'the answering worker');
  assert.equal(merged.connections, 5);
  assert.equal(merged.ready, false);
  assert.deepEqual(merged.reasons, ['gateway is draining']);
  assert.deepEqual(merged.services, [{ name: 'echo', type: 'echo', accepts: ['ws://127.0.0.1:0/echo'], available: false, connections: 5 }]);
  assert.deepEqual(merged.listeners, [{ address: '127.0.0.1:8000', listening: false }]);
  assert.deepEqual(merged.refusals.map((r) => r.message), ['b', 'a', 'c']);
  assert.deepEqual(merged.workers, [
    { worker: 1, pid: 101, ready: true, connections: 2 },
    { worker: 2, pid: 102, ready: false, connections: 3 },
  ]);
});

test("the last reload: any worker's failed last reload is shown, else the latest success", () => {
  const ok = (at: string) => ({ at, result: 'success' as const, error: null });
  const failed = (at: string) => ({ at, result: 'failure' as const, error: 'gw.xml:3:5: GW_ERR_CONFIG_XML: …' });
  const merge = (...reloads: Overview['lastReload'][]) => mergeOverviews(overview(1, {}), reloads.map((lastReload, i) => ({ worker: i + 1, overview: overview(100 + i, { lastReload }) }))).lastReload;
  assert.equal(merge(null, null), null);
  assert.deepEqual(merge(ok('2026-12-03T10:00:01.000Z'), null), ok('2026-12-03T10:00:01.000Z'));
  assert.deepEqual(merge(ok('2026-12-03T10:00:01.000Z'), ok('2026-12-03T10:00:02.000Z')), ok('2026-12-03T10:00:02.000Z'));
  // Worker 1 could not take the reload worker 2 took later: worker 1 serves the configuration before it.
  assert.deepEqual(merge(failed('2026-12-03T10:00:01.000Z'), ok('2026-12-03T10:00:02.000Z')), failed('2026-12-03T10:00:01.000Z'));
  assert.deepEqual(merge(ok('2026-12-03T10:00:02.000Z'), failed('2026-12-03T10:00:02.000Z')), failed('2026-12-03T10:00:02.000Z'));
});

test('with the number of workers started, the overview says how many should run', () => {
  const merged = mergeOverviews(overview(1, {}), [{ worker: 1, overview: overview(101, {}) }], 2);
  assert.equal(merged.workersExpected, 2);
  assert.equal(merged.workers?.length, 1);
  assert.equal('workersExpected' in mergeOverviews(overview(1, {}), [{ worker: 1, overview: overview(101, {}) }]), false);
});
