/**
 * `<type>management.http</type>`: the gateway's own HTTP API and status page, on an http:// or https:// accept,
 * protected like any service (`ssl.verify-client`, `access-constraint`), which the listener applies before a request
 * gets here. Paths are relative to the accept's path:
 *
 *   GET    /healthz                  the process is alive
 *   GET    /readyz[?service=NAME]    200 when ready for new clients (and NAME available), 503 naming why not
 *   GET    /metrics                  Prometheus text (summed over --workers)
 *   GET    /api/status               the overview (overview.ts)
 *   GET    /api/connections          live connections: ?service= &subject= &fingerprint= &q= &offset= &limit=
 *   GET    /api/connections/ID       one connection
 *   DELETE /api/connections/ID       closes it (1008)
 *   DELETE /api/connections?…        closes every connection the filter matches (a filter is required)
 *   GET    /status                   the live status page; /status/events is its feed (events.ts)
 *
 * A browser's request (the probes' excepted) and requests that change something pass request-guard.ts first. Every
 * answer is JSON except /metrics and the page, and none may be cached or framed. docs/management.md is the user's
 * description.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServiceConfig } from '../../config/types.js';
import { GatewayError, isGatewayError, type GatewayErrorCode } from '../../errors.js';
import type { End } from '../../pipe/ends.js';
import type { ConnectionContext, Service } from '../types.js';
import { clusterView } from './cluster.js';
import { DEFAULT_PAGE, filterFrom, isEmptyFilter, MAXIMUM_PAGE, OPERATOR_CLOSE_CODE, OPERATOR_CLOSE_REASON } from './connections.js';
import { MAXIMUM_VIEWERS, StatusFeed } from './events.js';
import { misdirectedHost, mutationProblem } from './request-guard.js';
import { STATUS_ASSETS, STATUS_CSP } from './status-page.js';
import type { ManagementSource } from './types.js';
import { localView, type ManagementView } from './view.js';

const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const COMMON_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
} as const;

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value, null, 2)}\n`);
}

function error(res: ServerResponse, status: number, code: GatewayErrorCode, message: string, headers: Record<string, string> = {}): void {
  const body = `${JSON.stringify({ error: { code, message } }, null, 2)}\n`;
  send(res, status, 'application/json; charset=utf-8', body, headers);
}

/** A whole number from the query, within bounds, or the default. */
function whole(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new GatewayError('GW_ERR_MANAGEMENT_REQUEST', `${name} must be a whole number from 0 to ${max}, not "${raw}"`);
  return n;
}

/** `offset` and `limit` from the query; throws GW_ERR_MANAGEMENT_REQUEST naming a bad one. */
function paging(query: URLSearchParams): { offset: number; limit: number } {
  return { offset: whole(query, 'offset', 0, Number.MAX_SAFE_INTEGER), limit: whole(query, 'limit', DEFAULT_PAGE, MAXIMUM_PAGE) };
}

function connectionId(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new GatewayError('GW_ERR_MANAGEMENT_REQUEST', `"${encoded}" is not a well-formed connection id`);
  }
}

/**
 * The request's path and query. Only a path is taken (origin-form, `/…`): read as a URL relative to a base, `//x/y`
 * would name the host `x` and `//` no URL at all.
 */
function requestTarget(raw: string | undefined): URL {
  const target = raw ?? '/';
  if (target.startsWith('/')) {
    try {
      return new URL(`http://management${target}`);
    } catch {
      // answered below, as any other target that is not a path
    }
  }
  throw new GatewayError('GW_ERR_MANAGEMENT_REQUEST', 'the request target must be a path beginning with "/"');
}

/** A request's target, the accept's path, and the request's path below it (`/status` for `/manage/status`). */
function pathBelow(req: IncomingMessage, accept: string): { url: URL; base: string; path: string } {
  const url = requestTarget(req.url);
  const base = new URL(accept).pathname.replace(/\/+$/, '');
  return { url, base, path: url.pathname.startsWith(base) ? url.pathname.slice(base.length) || '/' : url.pathname };
}

/**
 * An answer that failed after the request was accepted: 503 when the workers could not all be asked. A close that
 * failed so may have closed connections in the workers that answered, which `log` records.
 */
function failed(res: ServerResponse, err: unknown, log?: ConnectionContext['log']): void {
  if (log) log.warn({ code: isGatewayError(err) ? err.code : undefined }, `closing from the management API did not reach every worker: ${err instanceof Error ? err.message : String(err)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof GatewayError && err.code === 'GW_ERR_MANAGEMENT_WORKERS') return error(res, 503, err.code, err.message);
  error(res, 500, 'GW_ERR_INTERNAL', err instanceof Error ? err.message : String(err));
}

export class ManagementService implements Service {
  readonly available = true;
  readonly #source: ManagementSource;
  /** This process's connections, or with `--workers` every worker's. */
  readonly #view: ManagementView;
  readonly #feed: StatusFeed;
  /** The host names of the service's accepts: the names a browser may reach it by, besides addresses (request-guard.ts). */
  readonly #names: ReadonlySet<string>;

  constructor(
    readonly config: ServiceConfig,
    source: ManagementSource,
  ) {
    this.#source = source;
    this.#names = new Set(config.accepts.map((a) => a.host.toLowerCase().replace(/\.$/, '')));
    this.#view = source.cluster ? clusterView(localView(source)) : localView(source);
    this.#feed = new StatusFeed(this.#view, undefined, config.management?.readOnly === true);
  }

  /** The management service answers HTTP requests only; an upgrade that reached it is closed. */
  handle(downstream: End): void {
    downstream.close(1008, 'management.http serves no WebSocket connections');
  }

  handleRequest(req: IncomingMessage, res: ServerResponse, ctx: ConnectionContext): void {
    try {
      this.#route(req, res, ctx);
    } catch (err) {
      if (!(err instanceof GatewayError) || res.headersSent) throw err;
      error(res, 400, err.code, err.message);
    }
  }

  /** Health probes and metrics scrapes, read by machines every few seconds. */
  isRoutineRequest(req: IncomingMessage, accept: string): boolean {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') return false;
    try {
      const path = pathBelow(req, accept).path;
      return path === '/healthz' || path === '/readyz' || path === '/metrics';
    } catch {
      return false; // a target that does not parse was answered 400: no probe
    }
  }

  #route(req: IncomingMessage, res: ServerResponse, ctx: ConnectionContext): void {
    const { url, base, path } = pathBelow(req, ctx.accept);
    const method = req.method ?? 'GET';
    const reading = method === 'GET' || method === 'HEAD';
    const only = (allowed: string): boolean => {
      if (allowed.split(', ').includes(method)) return true;
      error(res, 405, 'GW_ERR_MANAGEMENT_REQUEST', `${method} is not allowed on ${path}`, { Allow: allowed });
      return false;
    };
    if (path !== '/healthz' && path !== '/readyz') {
      const host = misdirectedHost(req, this.#names);
      if (host !== undefined) return error(res, 421, 'GW_ERR_MANAGEMENT_HOST', this.#misdirected(host, ctx));
    }
    if (path === '/' && only('GET, HEAD')) return send(res, 302, 'text/plain; charset=utf-8', 'See the status page.\n', { Location: `${base}/status` });
    if (path === '/healthz') {
      if (only('GET, HEAD')) json(res, 200, { status: 'alive', pid: process.pid });
      return;
    }
    if (path === '/readyz') {
      if (!only('GET, HEAD')) return;
      const reasons = this.#source.readiness(url.searchParams.getAll('service'));
      json(res, reasons.length === 0 ? 200 : 503, { ready: reasons.length === 0, reasons });
      return;
    }
    if (path === '/metrics') {
      if (!only('GET, HEAD')) return;
      this.#source.metrics().then(
        (text) => send(res, 200, PROMETHEUS_TYPE, text),
        (err: unknown) => error(res, 503, 'GW_ERR_METRICS', err instanceof Error ? err.message : String(err)),
      );
      return;
    }
    if (path === '/api/status') {
      if (only('GET, HEAD')) this.#view.overview().then((o) => json(res, 200, o), (err: unknown) => failed(res, err));
      return;
    }
    if (path === '/api/connections' || path.startsWith('/api/connections/')) {
      const id = path === '/api/connections' ? undefined : connectionId(path.slice('/api/connections/'.length));
      const readOnly = this.config.management?.readOnly === true;
      if (method === 'DELETE' && readOnly) {
        return error(res, 405, 'GW_ERR_MANAGEMENT_REQUEST', `this management service is read-only (<read-only>true</read-only>): connections are closed through one without it`, { Allow: 'GET, HEAD' });
      }
      if (!only(readOnly ? 'GET, HEAD' : 'GET, HEAD, DELETE')) return;
      if (!reading) {
        const problem = mutationProblem(req);
        if (problem !== undefined) return error(res, 403, 'GW_ERR_MANAGEMENT_REQUEST', problem);
      }
      return id === undefined ? this.#connections(res, url.searchParams, reading, ctx) : this.#connection(res, id, reading, ctx);
    }
    if (path === '/status/events') {
      if (!only('GET')) return;
      const { offset, limit } = paging(url.searchParams);
      if (this.#feed.full) {
        return error(res, 503, 'GW_ERR_MANAGEMENT_REQUEST', `the status page has ${MAXIMUM_VIEWERS} viewers already, the most it serves at once: try again once one has left`, { 'Retry-After': '10' });
      }
      this.#feed.open(res, filterFrom(url.searchParams), offset, limit);
      return;
    }
    const asset = STATUS_ASSETS.get(path);
    if (asset) {
      if (only('GET, HEAD')) send(res, 200, asset.type, asset.body, asset.type.startsWith('text/html') ? { 'Content-Security-Policy': STATUS_CSP } : {});
      return;
    }
    error(res, 404, 'GW_ERR_MANAGEMENT_REQUEST', `no management resource at ${path}`);
  }

  /** What the operator of a browser sent to `host` (see misdirectedHost) is told to do. */
  #misdirected(host: string, ctx: ConnectionContext): string {
    const accept = this.config.accepts.find((a) => a.uri === ctx.accept) ?? this.config.accepts[0];
    const suggested = accept === undefined || !/^[a-z0-9._-]+$/.test(host) ? 'an <accept> naming it' : `<accept>${accept.scheme}://${host}:${accept.port}${accept.path}</accept>`;
    return (
      `a browser is answered here only at an IP address, localhost, or a host name an <accept> of the service names, and "${host}" is none of them: ` +
      `a page of another site can make its own name lead to the gateway (DNS rebinding). To use this name, add ${suggested} to the service ` +
      `(with a bind accept-option, such as http.bind, when the name does not resolve to an address the gateway listens on)`
    );
  }

  #connections(res: ServerResponse, query: URLSearchParams, reading: boolean, ctx: ConnectionContext): void {
    const filter = filterFrom(query);
    if (reading) {
      const { offset, limit } = paging(query);
      this.#view.page(filter, offset, limit).then((p) => json(res, 200, p), (err: unknown) => failed(res, err));
      return;
    }
    if (isEmptyFilter(filter)) {
      return error(res, 400, 'GW_ERR_MANAGEMENT_REQUEST', 'closing connections needs a filter (service, subject, fingerprint or q); to close one, DELETE /api/connections/ID');
    }
    this.#view.closeMatching(filter).then(
      (closed) => {
        ctx.log.info({ closed, filter }, `${closed.length} connection(s) closed from the management API`);
        json(res, 200, { closed, code: OPERATOR_CLOSE_CODE, reason: OPERATOR_CLOSE_REASON });
      },
      (err: unknown) => failed(res, err, ctx.log),
    );
  }

  #connection(res: ServerResponse, id: string, reading: boolean, ctx: ConnectionContext): void {
    const found = reading ? this.#view.get(id) : this.#view.close(id);
    found.then(
      (connection) => {
        if (!connection) return error(res, 404, 'GW_ERR_SESSION_NOT_FOUND', `no live connection has the id "${id}"`);
        if (reading) return json(res, 200, connection);
        ctx.log.info({ closed: id, subject: connection.subject ?? undefined }, `connection ${id} closed from the management API`);
        json(res, 200, { closed: [id], code: OPERATOR_CLOSE_CODE, reason: OPERATOR_CLOSE_REASON });
      },
      (err: unknown) => failed(res, err, reading ? undefined : ctx.log),
    );
  }

  retire(): void {
    this.#feed.close();
  }

  async stop(): Promise<void> {
    this.#feed.close();
  }
}
