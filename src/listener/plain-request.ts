/**
 * Plain HTTP requests (not upgrades) on a listener: routed among the http:// and https:// accepts by Host and path,
 * admitted as upgrades are (the client certificate's verdict, SNI against Host, realm, access-constraints), then answered
 * by the service. The connection stays the listener's: it is kept alive between requests (`http.keepalive.timeout`,
 * run by node's HTTP server) and each request, from its first byte to its last header, is bounded by the handshake
 * deadline (`ws.handshake.timeout`). What no HTTP service takes is answered as before, and the connection closed:
 * 426 where a WebSocket service would take an upgrade, else 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { RefusalReason } from '../metrics/types.js';
import type { PreparedServerTls } from '../tls/server.js';
import type { TrustState } from '../tls/resumed.js';
import type { VerifyClient } from '../config/types.js';
import { ACCESS_REFUSED, accessDenial, deniedMessage } from './admission.js';
import { admitByRealm, credentialsOf, realmRefusal, type RequestCredentials } from './realm-admission.js';
import { misdirected } from './authority.js';
import type { DownstreamConnection, HttpRefusal } from './connection.js';
import { BAD_TARGET, toOriginForm } from './request-target.js';
import { decodedPath, pathOf, type Route, type RouteTable } from './routes.js';

/** What the listener lends the plain-request path: its routes and state, and its hold on each connection. */
export interface RequestListener {
  readonly routes: RouteTable;
  readonly tls: PreparedServerTls | undefined;
  /** True until the listener closes: a draining one still serves the connections it had accepted. */
  readonly serving: boolean;
  /** The gateway is draining: each connection is closed once its answer is sent, rather than kept alive. */
  readonly draining: boolean;
  readonly log: Logger;
  /** The listener's `ssl.verify-client`, which decides whether a certificate passes a realm by itself. */
  readonly verifyClient: VerifyClient;
  /** What certificate tickets are judged against (ListenerOptions.trusts). */
  readonly trusts: () => readonly TrustState[];
  /**
   * The client is being answered with a refusal: nothing more is served, and its socket closes after a grace. `why`:
   * the refusal is counted (one decided before the request, such as a refused certificate, was counted then).
   */
  refused(conn: DownstreamConnection, counted: Counted | undefined): void;
  /** A kept-alive connection's next request has begun: the handshake deadline bounds it again. */
  requestBegins(conn: DownstreamConnection): void;
  /** A request's headers are complete and it is being served: the deadline is done with. */
  requestArrived(conn: DownstreamConnection): void;
  /** A request's answer is done with (sent, or its connection gone): a drain waits for the last one. */
  requestEnded(conn: DownstreamConnection): void;
}

export function servePlainRequest(req: IncomingMessage, res: ServerResponse, conn: DownstreamConnection, listener: RequestListener): void {
  // Answered already (a 408 to a client that then finished its request): nothing more is served.
  if (conn.phase === 'refused' && conn.refusal === undefined) {
    req.socket.destroy();
    return;
  }
  // Every answer, a service's or a refusal: no browser may take a response for another type than it is sent as.
  res.setHeader('X-Content-Type-Options', 'nosniff');
  const admitted: Admission = conn.refusal ? { refusal: conn.refusal, counted: undefined } : admission(req, conn, listener);
  if ('refusal' in admitted) {
    listener.refused(conn, admitted.counted);
    refuse(res, admitted.refusal);
    return;
  }
  const realm = admitted.route.realm;
  if (realm === undefined) return serve(req, res, conn, listener, admitted, undefined, { identity: conn.identity, principal: undefined });
  const service = admitted.route.service.config;
  // The request's deadline still runs while the login modules do.
  void admitByRealm({ realm, authorization: service.authorization, verifyClient: listener.verifyClient, trusts: listener.trusts, service: service.name, kind: 'http' }, conn, req, listener.log).then((decision) => {
    if (req.socket.destroyed || res.writableEnded || conn.phase === 'refused') return;
    if (decision.ok) return serve(req, res, conn, listener, admitted, decision.setCookie, credentialsOf(decision, realm.config.name, conn));
    const { message, headers } = realmRefusal(decision, realm.config.name);
    // A challenge (no credentials were sent) is how a login begins, not a refusal to count.
    listener.refused(conn, decision.challenged === true ? undefined : { why: 'realm', service: service.name, message: `${decision.status} ${message}` });
    refuse(res, { status: decision.status, message }, headers);
  });
}

/** Origin, route and realm passed: the access-constraints (which see a ticket's identity), then the service. */
function serve(
  req: IncomingMessage,
  res: ServerResponse,
  conn: DownstreamConnection,
  listener: RequestListener,
  admitted: { readonly route: Route; readonly path: string },
  setCookie: string | undefined,
  who: RequestCredentials,
): void {
  const { route, path } = admitted;
  const { service, accept } = route;
  const identity = who.identity;
  const denial = accessDenial(route, conn, path, listener.log, identity);
  if (denial !== undefined) {
    listener.refused(conn, { why: 'access', service: service.config.name, message: deniedMessage(denial) });
    refuse(res, { status: 403, message: ACCESS_REFUSED });
    return;
  }
  // A certificate ticket for a client that presented its certificate: every page it loads renews it.
  if (setCookie !== undefined) res.setHeader('Set-Cookie', setCookie);
  const handleRequest = service.handleRequest?.bind(service);
  if (handleRequest === undefined) {
    listener.refused(conn, undefined);
    refuse(res, { status: 500, message: 'This accept serves no HTTP requests.' });
    return;
  }
  conn.phase = 'serving';
  listener.requestArrived(conn);
  conn.requestsInFlight++;
  // A kept-alive connection would bring its next request after the drain stopped waiting, to be cut off at the stop.
  if (listener.draining) res.shouldKeepAlive = false;
  const log = listener.log.child({ conn: conn.id, service: service.config.name });
  const startedAt = Date.now();
  const socket = req.socket;
  const bytesBefore = socket.bytesWritten;
  res.once('close', () => {
    conn.requestsInFlight--;
    // A request its client left before it was answered was not answered with anything.
    if (res.headersSent) route.meter.requested(res.statusCode);
    const routine = res.statusCode < 400 && service.isRoutineRequest?.(req, accept.uri) === true;
    (routine ? log.debug : log.info).call(log, 
      {
        event: 'request',
        downstream: conn.downstream,
        method: req.method,
        path,
        status: res.statusCode,
        bytesOut: socket.bytesWritten - bytesBefore,
        durationMs: Date.now() - startedAt,
        completed: res.writableFinished,
        ...(identity?.presented ? { subject: identity.subject, fingerprint: identity.fingerprint256 } : {}),
      },
      `${req.method ?? ''} ${path} ${res.statusCode}`,
    );
    if (conn.requestsInFlight === 0 && conn.phase === 'serving' && !socket.destroyed) {
      // Kept alive: idle until the next request's first byte, which starts its deadline again.
      conn.phase = 'idle';
      conn.httpBytesAtStart = socket.bytesRead;
      socket.once('data', () => {
        if (conn.phase === 'idle') listener.requestBegins(conn);
      });
    }
    listener.requestEnded(conn);
  });
  try {
    handleRequest(req, res, conn.context(accept.uri, path, log, route.meter, who));
  } catch (err) {
    log.error({ err }, 'HTTP service failed on a request');
    if (!res.headersSent) refuse(res, { status: 500, message: 'Internal server error.' });
    else res.destroy();
  }
}

/** How a refusal is counted in the metrics: its reason and the service it belongs to, if known. */
export interface Counted {
  readonly why: RefusalReason;
  readonly service: string | undefined;
  readonly message: string;
}

type Admission = { readonly refusal: HttpRefusal; readonly counted: Counted | undefined } | { readonly route: Route; readonly path: string };

function refusal(status: number, message: string, why: RefusalReason | undefined, service?: string): Admission {
  return { refusal: { status, message }, counted: why === undefined ? undefined : { why, service, message: `${status} ${message}` } };
}

/** The route a request is served by, or the refusal it gets instead; refusals are logged. */
function admission(req: IncomingMessage, conn: DownstreamConnection, listener: RequestListener): Admission {
  if (!listener.serving) return refusal(503, 'The gateway is shutting down.', 'shutting_down');
  if (!toOriginForm(req)) return refusal(400, BAD_TARGET, 'bad_request');
  const path = pathOf(req.url);
  const host = req.headers.host;
  // On an address shared by http:// and https:// (ws:// and wss://) accepts, a request is served by its own kind.
  const secure = conn.tls !== undefined;
  const route = listener.routes.match(host, path, 'request', secure);
  const log = listener.log;
  if (!route || !route.service.available) {
    const upgrade = listener.routes.match(host, path, 'upgrade', secure);
    if (upgrade && upgrade.service.available) {
      return refusal(426, `This address serves WebSocket connections for service "${upgrade.service.config.name}"; connect with a WebSocket client.`, undefined);
    }
    log.debug({ event: 'refused', downstream: conn.downstream, path, code: 'GW_ERR_NO_SERVICE' }, 'no service for path: request refused');
    return refusal(404, `No service accepts ${path} here.`, route ? 'unavailable' : 'not_found', route?.service.config.name);
  }
  // Routes compare the path as sent; a service may read it decoded. One that would route elsewhere once decoded
  // (`/%61dmin`, `//admin` beside an `/admin` accept) is refused, or it would reach what that other service serves
  // (a directory nested in this one's) past that service's realm and rules.
  const decoded = decodedPath(path);
  if (decoded !== undefined && decoded !== path && listener.routes.match(host, decoded, 'request', secure) !== route) {
    log.info({ event: 'refused', downstream: conn.downstream, path, decoded, code: 'GW_ERR_PATH_DECODED' }, 'path names another service once decoded: request refused');
    return refusal(400, `Bad request: ${path} is another service's path once decoded.`, 'bad_request', route.service.config.name);
  }
  const servername = conn.tls?.servername || undefined;
  if (listener.tls && conn.tls && misdirected(listener.tls, listener.routes, servername, host, path, 'request')) {
    log.info({ event: 'refused', downstream: conn.downstream, path, servername, host, code: 'GW_ERR_MISDIRECTED' }, 'SNI and Host name different services or certificates: request refused');
    return refusal(421, `Misdirected request: this connection was set up for ${servername}.`, 'misdirected');
  }
  return { route, path };
}

/** A refusal closes the connection: what the client sends after it is not served. */
function refuse(res: ServerResponse, refusal: HttpRefusal, headers: Readonly<Record<string, string>> = {}): void {
  const body = `${refusal.message}\n`;
  res.writeHead(refusal.status, {
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
    ...(refusal.status === 426 ? { Upgrade: 'websocket' } : {}),
  });
  res.end(body);
}
