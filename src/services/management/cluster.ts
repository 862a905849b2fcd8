/**
 * The management API over `start --workers`: whichever worker takes a request answers for all of them. The worker
 * asks the primary, the primary asks every started worker (the asking one included) the same question over the
 * cluster's IPC channel, and hands back their answers, which the asking worker merges: connections listed across
 * workers in the order they opened, closed wherever they are, counted in one overview.
 *
 * A worker that does not answer within ANSWER_DEADLINE_MS (stuck, or gone mid-question) makes the request fail with
 * GW_ERR_MANAGEMENT_WORKERS naming it, rather than show a list that silently lacks its connections. A close that
 * reached the other workers has happened there; the error says so, and repeating it is safe.
 */
import cluster, { type Worker } from 'node:cluster';
import { GatewayError } from '../../errors.js';
import { askPrimary, isMessage } from '../../ipc.js';
import type { ConnectionFilter, ConnectionPage, ConnectionRow } from './connections.js';
import { REFUSALS_SHOWN, type Overview } from './overview.js';
import type { ManagementView } from './view.js';

const REQUEST = 'gateway:management-request';
const QUERY = 'gateway:management-query';
const ANSWER = 'gateway:management-answer';
const RESPONSE = 'gateway:management-response';
/** How long the primary waits for the workers; the asking worker waits a little longer for the primary. */
export const ANSWER_DEADLINE_MS = 5000;
const RESPONSE_DEADLINE_MS = ANSWER_DEADLINE_MS + 1000;

/** One question, asked of every worker. `page` asks for the first `count` matches, oldest first. */
export type Query =
  | { readonly op: 'overview' }
  | { readonly op: 'page'; readonly filter: ConnectionFilter; readonly count: number }
  | { readonly op: 'get'; readonly id: string }
  | { readonly op: 'close'; readonly id: string }
  | { readonly op: 'closeMatching'; readonly filter: ConnectionFilter };

/** One worker's answer to a query, as the primary collected it. */
export interface WorkerAnswer {
  readonly worker: number;
  readonly pid: number;
  readonly answer?: unknown;
  readonly error?: string;
}

interface Request {
  readonly type: typeof REQUEST;
  readonly id: number;
  readonly query: Query;
  /** Only this worker is asked (a connection id names its worker); undefined: every worker. */
  readonly only?: number | undefined;
}
interface QueryMessage {
  readonly type: typeof QUERY;
  readonly id: number;
  readonly query: Query;
}
interface AnswerMessage extends WorkerAnswer {
  readonly type: typeof ANSWER;
  readonly id: number;
}
interface Response {
  readonly type: typeof RESPONSE;
  readonly id: number;
  readonly answers: readonly WorkerAnswer[];
  /** Workers that did not answer in time. */
  readonly missing: readonly number[];
}

interface Pending {
  readonly asker: Worker;
  readonly requestId: number;
  readonly waiting: Set<number>;
  readonly answers: WorkerAnswer[];
  readonly timer: NodeJS.Timeout;
}

/**
 * In the primary: relays each worker's management request to every worker `workers()` names (those that have
 * started), or to the one it names, and answers it with what they said, or with who did not answer by the deadline.
 * A worker that exits meanwhile is not waited for: its connections are gone with it.
 */
export function serveClusterManagement(workers: () => Iterable<Worker>): () => void {
  const pending = new Map<number, Pending>();
  let serial = 0;
  const finish = (id: number): void => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    clearTimeout(p.timer);
    // A callback, so that a worker gone before it heard is not an 'error' event on it.
    if (p.asker.isConnected()) p.asker.send({ type: RESPONSE, id: p.requestId, answers: p.answers, missing: [...p.waiting] } satisfies Response, ignoreSendError);
  };
  const settle = (id: number, worker: number, answer: WorkerAnswer | undefined): void => {
    const p = pending.get(id);
    if (!p || !p.waiting.delete(worker)) return;
    if (answer) p.answers.push(answer);
    if (p.waiting.size === 0) finish(id);
  };
  const onMessage = (worker: Worker, message: unknown): void => {
    if (isMessage<AnswerMessage>(message, ANSWER)) {
      settle(message.id, worker.id, { worker: worker.id, pid: message.pid, answer: message.answer, ...(message.error !== undefined ? { error: message.error } : {}) });
      return;
    }
    if (!isMessage<Request>(message, REQUEST)) return;
    const id = serial++;
    const asked = [...workers()].filter((w) => w.isConnected() && (message.only === undefined || w.id === message.only));
    const p: Pending = { asker: worker, requestId: message.id, waiting: new Set(asked.map((w) => w.id)), answers: [], timer: setTimeout(() => finish(id), ANSWER_DEADLINE_MS) };
    pending.set(id, p);
    for (const w of asked) {
      // A query that cannot be sent found the worker's channel closed: it is exiting, and its connections with it.
      w.send({ type: QUERY, id, query: message.query } satisfies QueryMessage, (err: Error | null) => {
        if (err) settle(id, w.id, undefined);
      });
    }
    if (p.waiting.size === 0) finish(id);
  };
  const onExit = (worker: Worker): void => {
    for (const id of [...pending.keys()]) settle(id, worker.id, undefined);
  };
  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  return () => {
    cluster.off('message', onMessage);
    cluster.off('exit', onExit);
    for (const id of [...pending.keys()]) finish(id);
  };
}

function ignoreSendError(): void {}

/** What this process says to one query, from its own sessions. */
async function answerFrom(local: ManagementView, query: Query): Promise<unknown> {
  switch (query.op) {
    case 'overview':
      return local.overview();
    case 'page':
      return local.page(query.filter, 0, query.count);
    case 'get':
      return (await local.get(query.id)) ?? null;
    case 'close':
      return (await local.close(query.id)) ?? null;
    case 'closeMatching':
      return local.closeMatching(query.filter);
  }
}

/** In a worker: answers the primary's queries from this worker's own sessions. */
export function answerClusterQueries(local: ManagementView): () => void {
  const worker = cluster.worker?.id ?? 0;
  const reply = (message: AnswerMessage): void => {
    // A primary that has gone has no one left to answer.
    if (process.connected && process.send) process.send(message);
  };
  const onMessage = (message: unknown): void => {
    if (!isMessage<QueryMessage>(message, QUERY)) return;
    answerFrom(local, message.query).then(
      (answer) => reply({ type: ANSWER, id: message.id, worker, pid: process.pid, answer }),
      (err: unknown) => reply({ type: ANSWER, id: message.id, worker, pid: process.pid, error: err instanceof Error ? err.message : String(err) }),
    );
  };
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
}

/** Asks the primary to put `query` to every worker (or the one `only` names); resolves with their answers and who did not answer. */
function ask(query: Query, only?: number): Promise<Response> {
  return askPrimary<Response>({
    request: { type: REQUEST, query, only },
    replyType: RESPONSE,
    deadlineMs: RESPONSE_DEADLINE_MS,
    late: () => new GatewayError('GW_ERR_MANAGEMENT_WORKERS', `the primary did not answer a management request within ${RESPONSE_DEADLINE_MS} ms`),
    unreachable: () => new GatewayError('GW_ERR_MANAGEMENT_WORKERS', 'this worker has no primary to ask: its IPC channel is closed'),
  });
}

function workerList(ids: readonly number[]): string {
  return `${ids.length === 1 ? 'worker' : 'workers'} ${ids.join(', ')}`;
}

/**
 * Every worker's answer, or GW_ERR_MANAGEMENT_WORKERS naming those that did not answer or failed; for a close,
 * `done` says what did happen in the others.
 */
async function askAll<T>(query: Query, done?: (answers: readonly T[]) => string, only?: number): Promise<{ readonly worker: number; readonly value: T }[]> {
  const { answers, missing } = await ask(query, only);
  const failed = answers.filter((a) => a.error !== undefined);
  const values = answers.filter((a) => a.error === undefined).map((a) => ({ worker: a.worker, value: a.answer as T }));
  if (missing.length === 0 && failed.length === 0) return values;
  const problems = [
    ...(missing.length > 0 ? [`${workerList(missing)} did not answer within ${ANSWER_DEADLINE_MS} ms`] : []),
    ...failed.map((a) => `worker ${a.worker} failed: ${a.error}`),
  ];
  const what = done ? `; ${done(values.map((v) => v.value))} in the workers that answered` : '';
  throw new GatewayError('GW_ERR_MANAGEMENT_WORKERS', `${problems.join('; ')}${what}`);
}

/**
 * One page out of each worker's first `offset + limit` matches, each in its own order (oldest first), merged by
 * taking the oldest of the workers' next rows in turn. Each worker keeps its own order, so the first N rows merged
 * depend only on each worker's first N: successive pages neither skip nor repeat a connection.
 */
export function mergePages(pages: readonly { readonly worker: number; readonly page: ConnectionPage }[], offset: number, limit: number): ConnectionPage {
  const lists = [...pages].sort((a, b) => a.worker - b.worker).map((p) => p.page.connections);
  const next = lists.map(() => 0);
  const connections: ConnectionRow[] = [];
  for (let taken = 0; taken < offset + limit; taken++) {
    let from = -1;
    for (let i = 0; i < lists.length; i++) {
      const row = lists[i]?.[next[i] as number];
      // Equal times go to the lower worker number, so the order is the same whoever answered first.
      if (row !== undefined && (from < 0 || row.openedAt < (lists[from]?.[next[from] as number] as ConnectionRow).openedAt)) from = i;
    }
    if (from < 0) break;
    const row = lists[from]?.[next[from] as number] as ConnectionRow;
    next[from] = (next[from] as number) + 1;
    if (taken >= offset) connections.push(row);
  }
  return { total: pages.reduce((sum, p) => sum + p.page.total, 0), offset, limit, connections };
}

/**
 * One overview out of every worker's: connections and services summed, ready only if every worker is, refusals
 * merged newest first. Listeners and certificates are the same configuration in every worker: `own`'s are shown.
 */
export function mergeOverviews(own: Overview, all: readonly { readonly worker: number; readonly overview: Overview }[], expected?: number): Overview {
  const perService = new Map<string, { connections: number; available: boolean }>();
  for (const { overview } of all) {
    for (const s of overview.services) {
      const seen = perService.get(s.name);
      perService.set(s.name, { connections: (seen?.connections ?? 0) + s.connections, available: (seen?.available ?? true) && s.available });
    }
  }
  const listening = new Map<string, boolean>();
  for (const { overview } of all) for (const l of overview.listeners) listening.set(l.address, (listening.get(l.address) ?? true) && l.listening);
  return {
    ...own,
    ready: all.every(({ overview }) => overview.ready),
    reasons: [...new Set(all.flatMap(({ overview }) => overview.reasons))],
    connections: all.reduce((sum, { overview }) => sum + overview.connections, 0),
    services: own.services.map((s) => ({ ...s, ...(perService.get(s.name) ?? {}) })),
    listeners: own.listeners.map((l) => ({ ...l, listening: listening.get(l.address) ?? l.listening })),
    lastReload: lastReloadOf(all.map(({ overview }) => overview.lastReload)),
    refusals: all
      .flatMap(({ overview }) => overview.refusals)
      .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
      .slice(0, REFUSALS_SHOWN),
    workers: [...all]
      .sort((a, b) => a.worker - b.worker)
      .map(({ worker, overview }) => ({ worker, pid: overview.pid, ready: overview.ready, connections: overview.connections })),
    ...(expected !== undefined ? { workersExpected: expected } : {}),
  };
}

/**
 * The workers' last reloads as one: a worker whose last reload failed serves the configuration before it, so any such
 * failure is shown (the latest), and only when every worker's last succeeded is the latest success.
 */
function lastReloadOf(reloads: readonly Overview['lastReload'][]): Overview['lastReload'] {
  const latest = (rs: readonly NonNullable<Overview['lastReload']>[]) => rs.reduce<Overview['lastReload']>((a, r) => (a !== null && a.at >= r.at ? a : r), null);
  const known = reloads.filter((r): r is NonNullable<Overview['lastReload']> => r !== null);
  return latest(known.filter((r) => r.result === 'failure')) ?? latest(known);
}

/** The environment variable in which the primary tells each worker how many workers `start --workers` runs. */
export const WORKERS_ENV = 'GATEWAY_WORKERS';

function workersExpected(): number | undefined {
  const n = Number(process.env[WORKERS_ENV]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The worker a connection id names (`2-1a`: worker 2), or undefined for an id no worker made. */
export function workerOf(id: string): number | undefined {
  const match = /^([1-9]\d*)-[0-9a-z]+$/.exec(id);
  return match ? Number(match[1]) : undefined;
}

/** In a worker: the management view of every worker's connections, through the primary. */
export function clusterView(local: ManagementView): ManagementView {
  const values = <T>(answers: readonly { readonly value: T }[]): T[] => answers.map((a) => a.value);
  /** A connection by id, from the worker the id names only: another worker being stuck does not matter to it. */
  const byId = async (op: 'get' | 'close', id: string): Promise<ConnectionRow | undefined> => {
    const owner = workerOf(id);
    if (owner === undefined) return undefined;
    const said = (rows: readonly (ConnectionRow | null)[]) => (rows.some((r) => r !== null) ? `connection ${id} was closed` : `no connection ${id} was found`);
    return values(await askAll<ConnectionRow | null>({ op, id }, op === 'close' ? said : undefined, owner)).find((r) => r !== null) ?? undefined;
  };
  return {
    overview: async () => {
      const all = (await askAll<Overview>({ op: 'overview' })).map(({ worker, value }) => ({ worker, overview: value }));
      // This worker's own answer is among them once it has started; before that, it is read here.
      const own = all.find((a) => a.worker === cluster.worker?.id)?.overview ?? (await local.overview());
      return mergeOverviews(own, all, workersExpected());
    },
    page: async (filter, offset, limit) =>
      mergePages(
        (await askAll<ConnectionPage>({ op: 'page', filter, count: offset + limit })).map(({ worker, value }) => ({ worker, page: value })),
        offset,
        limit,
      ),
    get: (id) => byId('get', id),
    close: (id) => byId('close', id),
    closeMatching: async (filter) => {
      const said = (lists: readonly string[][]) => `${lists.flat().length} connection(s) were closed`;
      return values(await askAll<string[]>({ op: 'closeMatching', filter }, said)).flat();
    },
  };
}
