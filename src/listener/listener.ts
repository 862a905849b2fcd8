/**
 * One listening address (host:port) of the gateway: a TCP server whose connections go through, in order, the
 * connection limits, a trusted load balancer's PROXY header, the TLS handshake with the client certificate judged,
 * and an HTTP parser: WebSocket upgrades are routed to the WebSocket service whose accept matches by Host and path,
 * plain requests to the HTTP service whose accept matches (plain-request.ts). Everything before the upgrade or the
 * request runs against one deadline (`ws.handshake.timeout`), so a client that connects and stalls anywhere on the
 * way is closed when it expires.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SecureContext, TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { AddressList } from '../auth/cidr.js';
import { originRefusal } from '../auth/origin.js';
import { formatHostPort } from '../config/rules.js';
import type { HostPort, VerifyClient } from '../config/types.js';
import { StreamEnd, WebSocketEnd, type End } from '../pipe/ends.js';
import type { Session, SessionRegistry } from '../services/sessions.js';
import type { ConnectionContext, Service } from '../services/types.js';
import { GatewayError } from '../errors.js';
import { certificateRefusal } from '../metrics/reasons.js';
import type { ListenerMeter, RefusalReason } from '../metrics/types.js';
import { DeadlineList } from '../timers/deadlines.js';
import { acceptTls } from '../tls/accept.js';
import { anonymousIdentity, identify, refusalReason } from '../tls/identity.js';
import { reverify } from '../tls/reverify.js';
import type { TrustState } from '../tls/resumed.js';
import { contextForServername, type PreparedServerTls } from '../tls/server.js';
import { clientRefusedHint, servedBy } from '../tls/served.js';
import { Cancellation } from '../upstream/cancellation.js';
import { HALF_CLOSE_HEADER } from '../upstream/ws-connector.js';
import { misdirected } from './authority.js';
import { DownstreamConnection, type Phase } from './connection.js';
import { refuseUpgrade } from './http-response.js';
import { ConnectionLimits } from './limits.js';
import { readProxyHeader } from './proxy-header.js';
import { RefusalLog } from './refusal-log.js';
import { sniffTransport } from './sniff.js';
import { setOnListener, setOnSocket } from './socket-options.js';
import { ACCESS_REFUSED, accessDenial, deniedMessage, logAccessDenied } from './admission.js';
import { admitByRealm, credentialsOf, realmRefusal } from './realm-admission.js';
import type { RealmDecision } from '../auth/realm/realm.js';
import type { WebSocket } from 'ws';
import { judgeAgain, judgeConnection, type CameIn, type JudgeOptions, type LiveRefusal } from './live-policy.js';
import { servePlainRequest, type RequestListener } from './plain-request.js';
import { BAD_TARGET, toOriginForm } from './request-target.js';
import { pathOf, RouteTable, type Route } from './routes.js';
import { chooseProtocol, offeredProtocols, upgradeProblem, upgradeRequestProblem } from './subprotocol.js';

export type { LiveRefusal } from './live-policy.js';

export interface ListenerOptions {
  readonly listen: HostPort;
  /** Server TLS (from src/tls); undefined for a plain ws:// listener. Replaced later by updateTls(). */
  readonly tls: PreparedServerTls | undefined;
  /**
   * With `tls`: the address also serves plain HTTP (ws:// and wss:// accepts share it, as Kaazing allows); the
   * first byte of each connection decides which (sniff.ts).
   */
  readonly plain?: boolean;
  readonly verifyClient: VerifyClient;
  readonly keepAliveTimeoutMs: number;
  readonly routes: readonly Route[];
  /** What every connection id starts with: with `--workers`, the worker's number and a dash (state.ts). */
  readonly idPrefix?: string;
  /** Read a PROXY protocol header from connections whose peer is in `trusted` (`tcp.proxy-protocol`). */
  readonly proxyProtocol: { readonly version: 'v1' | 'v2'; readonly trusted: AddressList } | undefined;
  /** `ssl.verify-depth`: the longest chain (leaf = depth 0) a client may present. */
  readonly verifyDepth: number | undefined;
  /** tcp:// or ssl://: clients are byte streams for the one service of the address, with no HTTP. */
  readonly stream: boolean;
  /** `ws.handshake.timeout`: from TCP accept to a completed upgrade. */
  readonly handshakeTimeoutMs: number;
  /** `tcp.maximum.connections`: connections open at once on this address. */
  readonly maximumConnections: number;
  /** `tcp.maximum.connections.per.address`: connections open at once from one client address; undefined = any. */
  readonly maximumConnectionsPerAddress: number | undefined;
  readonly log: Logger;
  /** Where refusals and failed handshakes are counted. */
  readonly meter: ListenerMeter;
  /** The gateway's live sessions: each client is registered when its service takes it over. */
  readonly sessions: SessionRegistry;
  /**
   * The trust of every listener of the gateway that verifies clients, as it is now (Gateway#clientTrusts): what a
   * realm's certificate ticket is judged against, when it is shown and again when any of them changes.
   */
  readonly trusts: () => readonly TrustState[];
}

/**
 * The phases in which a drain waits for a connection: on its way to a service (its PROXY header, the first byte,
 * its TLS handshake, its request, its backend being connected), or its plain request being answered. A kept-alive
 * connection between requests is not waited for.
 */
const AWAITED: ReadonlySet<Phase> = new Set<Phase>(['proxy-header', 'sniff', 'tls', 'http', 'connecting', 'serving']);

/**
 * How long a connection ready for its first request may have sent none before a drain stops waiting for it: a client
 * sends its request as soon as its connection is up, and one that has not is most often a browser's spare connection,
 * which may never be used. (It would otherwise hold the drain for `ws.handshake.timeout`.)
 */
const UNUSED_AFTER_MS = 1000;

function unused(c: DownstreamConnection, now: number): boolean {
  return sentNothing(c) && now - (c.readyAt ?? now) > UNUSED_AFTER_MS;
}

/** Ready for its first request and sent none: on a plain or TLS address no request, on a shared one no byte. */
function sentNothing(c: DownstreamConnection): boolean {
  return (c.phase === 'http' && !c.requestStarted) || (c.phase === 'sniff' && c.socket.bytesRead === 0);
}

/** Answers an upgrade with a refusal, counted as `why` when given (a refusal decided earlier was counted then). */
type RefuseUpgrade = (status: number, message: string, why?: RefusalReason, service?: string) => void;

/** How long a client that was answered with a refusal (408, say) has to read it before its socket is destroyed. */
const CLOSE_GRACE_MS = 2000;

/** What the HTTP parser's errors are answered with: too large a header gets 431, anything else malformed 400. */
function clientErrorStatus(err: NodeJS.ErrnoException): number {
  if (err.code === 'HPE_HEADER_OVERFLOW') return 431;
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

/** OpenSSL's wording for a client that sent no certificate to a server that requires one. */
const NO_CERTIFICATE = 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE';
/** OpenSSL's codes for a first record that is the start of a plain HTTP request (GET, POST, HEAD, PUT; CONNECT). */
const PLAIN_HTTP_ON_TLS: ReadonlySet<string> = new Set(['ERR_SSL_HTTP_REQUEST', 'ERR_SSL_HTTPS_PROXY_REQUEST']);
const PLAIN_HTTP_HINT = 'the client sent plain HTTP (ws:// or http://) to a TLS address: it should use wss:// (or https://)';

/** What a listening address serves from a connection's first byte: TLS or plain, HTTP or a byte stream. */
export interface ListenerMode {
  readonly tls: boolean;
  readonly stream: boolean;
}

export function modeOf(options: ListenerOptions): ListenerMode {
  return { tls: options.tls !== undefined, stream: options.stream };
}

/** Why `where` cannot go from serving `from` to serving `to` without a restart; undefined when it can. */
export function modeChange(where: string, from: ListenerMode, to: ListenerMode): string | undefined {
  if (from.tls !== to.tls) return `${where} would change from ${from.tls ? 'TLS to plain' : 'plain to TLS'}`;
  if (from.stream !== to.stream) return `${where} would change from ${from.stream ? 'a byte stream to HTTP' : 'HTTP to a byte stream'}`;
  return undefined;
}

export class Listener {
  #options: ListenerOptions;
  #routes: RouteTable;
  readonly #server: NetServer;
  readonly #http: HttpServer;
  readonly #limits: ConnectionLimits;
  readonly #refusals: RefusalLog;
  #handshakeDeadlines: DeadlineList;
  readonly #closeGrace = new DeadlineList(CLOSE_GRACE_MS);
  /** `authorization-timeout` deadlines of WebSockets admitted by a realm, one list per duration. */
  readonly #authorizationDeadlines = new Map<number, DeadlineList>();
  /** Every connection from accept to close. */
  readonly #connections = new Set<DownstreamConnection>();
  /** Accepted sockets inherit Nagle and keep-alive from the listening one (socket-options.ts). */
  #socketOptionsInherited = false;
  /** The connection behind each socket the HTTP parser was given. */
  readonly #bySocket = new WeakMap<Duplex, DownstreamConnection>();
  /** A tcp:// or ssl:// listener: connections go to its one service as byte streams, with no HTTP. */
  readonly #stream: boolean;
  #tls: PreparedServerTls | undefined;
  /** Counts the changes of the rules clients are admitted by (a reconfiguration, new TLS material): see #refusedMeanwhile. */
  #rulesChanged = 0;
  /** `draining`: no new connection is accepted, but those accepted before are still served (stopAccepting). */
  #state: 'new' | 'listening' | 'draining' | 'closed' = 'new';
  /** Settles once the TCP server has stopped accepting and its last connection has ended. */
  #serverClosed: Promise<void> | undefined;
  /** Settles once a drain has released the port (stopAccepting). */
  #portReleased: Promise<void> | undefined;
  /** Drains waiting for connections (handshakesDone): those each still waits for, and how to tell it. */
  #awaited: { readonly connections: Set<DownstreamConnection>; readonly done: () => void }[] = [];
  /** What the plain-request path (plain-request.ts) sees of this listener. */
  readonly #requestListener: RequestListener;
  /** The service every refusal here belongs to, when the address serves one only (else known only after routing). */
  #soleService: string | undefined;

  constructor(options: ListenerOptions) {
    this.#options = options;
    this.#routes = new RouteTable(options.routes);
    this.#stream = options.stream;
    this.#tls = options.tls;
    this.#soleService = soleService(options.routes);
    this.#limits = new ConnectionLimits(options.maximumConnections, options.maximumConnectionsPerAddress);
    this.#refusals = new RefusalLog(options.log);
    this.#handshakeDeadlines = new DeadlineList(options.handshakeTimeoutMs);
    const listener = this;
    // Getters: a reload (reconfigure) replaces the routes, TLS and options that later requests are served with.
    this.#requestListener = {
      get routes() {
        return listener.#routes;
      },
      get tls() {
        return listener.#tls;
      },
      get serving() {
        return listener.#state === 'listening' || listener.#state === 'draining';
      },
      get draining() {
        return listener.#state === 'draining';
      },
      get log() {
        return listener.#options.log;
      },
      get verifyClient() {
        return listener.#options.verifyClient;
      },
      get trusts() {
        return listener.#options.trusts;
      },
      refused: (conn, counted) => {
        if (counted) this.#count(counted.why, conn, counted.message, counted.service);
        this.#refused(conn, conn.httpSocket);
      },
      requestBegins: (conn) => {
        conn.phase = 'http';
        conn.deadline = this.#handshakeDeadlines.add(() => this.#expired(conn));
      },
      requestArrived: (conn) => {
        conn.deadline?.cancel();
        conn.deadline = undefined;
      },
      requestEnded: () => this.#progressed(),
    };
    this.#http = createHttpServer();
    this.#http.keepAliveTimeout = options.keepAliveTimeoutMs;
    this.#http.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const conn = this.#bySocket.get(req.socket);
      if (!conn) {
        req.socket.destroy();
        return;
      }
      this.#judge(conn);
      this.#reportRouted(conn, req, 'request');
      servePlainRequest(req, res, conn, this.#requestListener);
    });
    this.#http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        this.#upgrade(req, socket, head);
      } catch (err) {
        // A bug on the way to a service costs this client its connection; thrown from an event, it would end the process.
        options.log.error({ code: 'GW_ERR_INTERNAL', conn: this.#bySocket.get(socket)?.id, err }, 'upgrade failed unexpectedly: connection closed');
        socket.destroy();
      }
    });
    this.#http.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      const status = clientErrorStatus(err);
      options.log.debug({ err, status }, 'malformed HTTP request');
      const conn = this.#bySocket.get(socket);
      if (conn) this.#refused(conn, socket);
      // A malformed request pipelined behind one whose answer is being written: an error answer now would land in
      // the middle of that one's body, so the connection is cut instead, as Node's own handler does.
      if ((socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage?.headersSent === true) {
        socket.destroy();
        return;
      }
      refuseUpgrade(socket, status, status === 431 ? 'Request header fields too large.' : 'Malformed HTTP request.');
    });
    // A byte-stream client may half-close (send its request, then read the response): its socket stays half-open.
    // Nagle and keep-alive are set once bound (socket-options.ts).
    this.#server = createNetServer({ allowHalfOpen: options.stream }, (socket) => this.#accept(socket));
  }

  /** The address actually bound (port 0 in the config becomes a real port here). */
  get address(): AddressInfo {
    const a = this.#server.address();
    if (a === null || typeof a === 'string') throw new GatewayError('GW_ERR_STATE', 'listener is not bound');
    return a;
  }

  get routes(): readonly Route[] {
    return this.#routes.routes;
  }

  /** True while the address is bound and accepting. */
  get listening(): boolean {
    return this.#state === 'listening';
  }

  /** The configured address, `host:port`, for messages. */
  get where(): string {
    return formatHostPort(this.#options.listen);
  }

  /** Connections open on this address, from accept to close. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  get options(): ListenerOptions {
    return this.#options;
  }

  /**
   * Why this listener cannot take `next` (a reloaded configuration of the same address) without being bound
   * again, or undefined when it can: turning TLS on or off, or switching between HTTP and a byte stream, changes
   * what the bound socket's connections are from their first byte.
   */
  incompatibility(next: ListenerOptions): string | undefined {
    return modeChange(this.where, this.mode, modeOf(next));
  }

  /** What a connection to this address is from its first byte. */
  get mode(): ListenerMode {
    return { tls: this.#tls !== undefined, stream: this.#options.stream };
  }

  /**
   * Takes a reloaded configuration of the same address, keeping the bound socket: new handshakes get the new TLS
   * material and verify-client settings, new requests the new routes, new connections the new limits, deadlines
   * and PROXY protocol rules. Connections already accepted keep their deadline; established ones their service.
   * The caller checked incompatibility() first.
   */
  reconfigure(next: ListenerOptions): void {
    const problem = this.incompatibility(next);
    if (problem !== undefined) throw new GatewayError('GW_ERR_RELOAD', `${problem}: that needs a restart`);
    this.#options = next;
    this.#rulesChanged++;
    this.#routes = new RouteTable(next.routes);
    this.#soleService = soleService(next.routes);
    this.#tls = next.tls;
    this.#limits.setMaximums(next.maximumConnections, next.maximumConnectionsPerAddress);
    // Pending handshake deadlines keep the list they were set on (its timer runs until they are done).
    if (next.handshakeTimeoutMs !== this.#handshakeDeadlines.durationMs) this.#handshakeDeadlines = new DeadlineList(next.handshakeTimeoutMs);
    this.#http.keepAliveTimeout = next.keepAliveTimeoutMs;
  }

  /** The live sessions of this address's connections. */
  sessions(): Session[] {
    const sessions: Session[] = [];
    for (const c of this.#connections) if (c.session) sessions.push(c.session);
    return sessions;
  }

  /**
   * The live sessions on this address that the rules in force now (after a reload or a CRL update, or when a
   * client certificate ends) would refuse, judged as their handshake and upgrade were (live-policy.ts); closing them
   * is the caller's.
   */
  rejudge(options?: JudgeOptions): LiveRefusal[] {
    return judgeAgain(this.#connections, this.#routes.routes, this.#tls?.trust, this.#options, options);
  }

  /** What this address verifies client certificates against now; undefined when it does not verify them. */
  get trust(): TrustState | undefined {
    return this.#tls?.trust;
  }

  /**
   * Serves new handshakes with new TLS material (a re-read CRL, say); connections already open keep theirs.
   * The caller builds `tls` completely first, so a failure to build it never reaches a listener.
   */
  /** The TLS it serves now: a CRL re-read since the last (re)configuration rebuilds it (updateTls). */
  get tls(): PreparedServerTls | undefined {
    return this.#tls;
  }

  updateTls(tls: PreparedServerTls): void {
    if (!this.#tls) throw new GatewayError('GW_ERR_STATE', 'updateTls on a listener without TLS');
    this.#tls = tls;
    this.#rulesChanged++;
  }

  listen(): Promise<AddressInfo> {
    if (this.#state !== 'new') return Promise.reject(new GatewayError('GW_ERR_STATE', `listener is ${this.#state}`));
    const { host, port } = this.#options.listen;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.#state = 'closed';
        // Kaazing's message, then which accepts wanted the address and where the first of them is written.
        const routes = this.#routes.routes;
        const wanted = routes.map((r) => `${r.accept.uri} of service "${r.service.config.name}"`).join(', ');
        reject(
          new GatewayError('GW_ERR_BIND', `Unable to bind to resource: ${host}:${port} cause: ${bindReason(err)}`, {
            cause: err,
            position: routes[0]?.accept.position,
            hint: wanted === '' ? undefined : `wanted by ${wanted}`,
          }),
        );
      };
      this.#server.once('error', onError);
      this.#server.listen({ host, port }, () => {
        this.#server.off('error', onError);
        if (this.#state === 'closed') {
          // close() came while binding: give the port back rather than leave it bound and unreachable.
          this.#server.close();
          reject(new GatewayError('GW_ERR_STATE', `listener on ${host}:${port} was closed while binding`));
          return;
        }
        this.#state = 'listening';
        this.#socketOptionsInherited = setOnListener(this.#server);
        this.#server.on('error', (err) => this.#options.log.error({ err }, 'listener error'));
        resolve(this.address);
      });
    });
  }

  /**
   * Stops accepting: the port is released and upgrades still in flight are answered 503, so nothing new reaches a
   * service that is stopping. Connections already open are left to their services until destroy().
   */
  close(): Promise<void> {
    if (this.#state === 'closed') return Promise.resolve();
    const wasOpen = this.#state === 'listening' || this.#state === 'draining';
    if (wasOpen) this.#closeServer();
    this.#state = 'closed';
    this.#refusals.flush();
    return wasOpen ? (this.#serverClosed ?? Promise.resolve()) : Promise.resolve();
  }

  /**
   * A drain: no new connection is accepted (the port is released), while the connections already accepted finish
   * their handshakes and are served: a client that had connected before the drain began is never answered 503.
   * close() ends what is left. Settles once the port is released.
   *
   * "Accepted" includes what the kernel has queued on the port and the event loop has not taken yet: closing a
   * listening socket resets those, and a load balancer does not retry a connection it had established. So the port
   * is closed after one more poll of the event loop, which takes them.
   */
  stopAccepting(): Promise<void> {
    if (this.#portReleased !== undefined) return this.#portReleased;
    if (this.#state !== 'listening') return Promise.resolve();
    this.#state = 'draining';
    // An immediate set from an immediate runs in the next turn of the loop, after that turn's poll.
    this.#portReleased = new Promise((resolve) =>
      setImmediate(() =>
        setImmediate(() => {
          this.#closeServer();
          resolve();
        }),
      ),
    );
    return this.#portReleased;
  }

  /**
   * Settles once each connection that is now on its way to a service, or being answered (AWAITED), has got there:
   * it is a service's, answered, or closed. A drain calls this once the port is closed, so that no connection comes
   * after, and waits for it before it stops the gateway: a client that had connected is served rather than answered
   * 503. `ws.handshake.timeout` closes one that stalls. Only those connections are looked at again as they move on,
   * however many sessions the drain is closing meanwhile. One that has been ready for its first request for a while
   * (`now` less its acceptance, UNUSED_AFTER_MS) and sent none is not waited for.
   */
  handshakesDone(now = Date.now()): Promise<void> {
    const connections = new Set<DownstreamConnection>();
    for (const c of this.#connections) if (AWAITED.has(c.phase) && !unused(c, now)) connections.add(c);
    if (connections.size === 0) return Promise.resolve();
    // Those still too new to call unused are looked at again once they could be.
    if ([...connections].some(sentNothing)) setTimeout(() => this.#progressed(), UNUSED_AFTER_MS + 1);
    return new Promise((done) => this.#awaited.push({ connections, done }));
  }

  /** A connection has moved on or closed: a drain whose last awaited connection it was is told. */
  #progressed(): void {
    if (this.#awaited.length === 0) return;
    const now = Date.now();
    this.#awaited = this.#awaited.filter((wait) => {
      for (const c of wait.connections) if (!AWAITED.has(c.phase) || !this.#connections.has(c) || unused(c, now)) wait.connections.delete(c);
      if (wait.connections.size > 0) return true;
      wait.done();
      return false;
    });
  }

  #closeServer(): void {
    this.#serverClosed ??= new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** Drops every connection still open (after the services had their chance to close them cleanly). */
  destroyConnections(): void {
    // TLS sockets first: tearing a raw socket out from under a live TLS socket is not a path Node handles well.
    for (const c of this.#connections) c.tls?.destroy();
    for (const c of this.#connections) if (!c.socket.destroyed) c.socket.destroy();
    this.#handshakeDeadlines.clear();
    this.#closeGrace.clear();
    for (const list of this.#authorizationDeadlines.values()) list.clear();
  }

  #accept(socket: Socket): void {
    if (!this.#socketOptionsInherited) setOnSocket(socket);
    // A reset from a client is routine; without a listener it would be thrown and end the process (the HTTP and
    // TLS layers add their own while they own the socket, and remove them on upgrade).
    socket.on('error', destroyOnError);
    if (!this.#limits.takeConnection()) {
      // Full: refused before a byte is read or a handshake paid for.
      this.#refuse('limits', 'connection refused', 'tcp.maximum.connections reached', `${socket.remoteAddress}:${socket.remotePort}`, {
        code: 'GW_ERR_CONNECTION_LIMIT',
        limit: this.#options.maximumConnections,
      });
      socket.destroy();
      return;
    }
    const conn = new DownstreamConnection(socket, this.#options.idPrefix);
    this.#connections.add(conn);
    socket.once('close', () => this.#closed(conn));
    conn.deadline = this.#handshakeDeadlines.add(() => this.#expired(conn));
    const proxy = this.#options.proxyProtocol;
    // Only a trusted load balancer may say where a connection comes from; anyone else is served as they are.
    if (proxy && proxy.trusted.contains(socket.remoteAddress ?? '')) {
      conn.phase = 'proxy-header';
      readProxyHeader(socket, proxy.version).then(
        (info) => {
          if (info !== 'local') conn.announce(info);
          this.#admit(conn);
        },
        (err: unknown) => {
          if (conn.phase !== 'proxy-header') return; // the deadline already closed it, and said so
          // Grouped by what is wrong ("malformed PROXY protocol v1 header"), not by the client's bytes the detail
          // quotes: each new garbage prefix would otherwise get a warning line of its own.
          const detail = (err as Error).message;
          const reason = detail.split(': ')[0] ?? detail;
          this.#refuse('proxy_header', 'PROXY protocol header refused', reason, conn.downstream, { code: 'GW_ERR_PROXY_PROTOCOL', detail }, `PROXY protocol header refused: ${detail}`);
          socket.destroy();
        },
      );
    } else {
      this.#admit(conn);
    }
  }

  #closed(conn: DownstreamConnection): void {
    // A client whose certificate was refused and that left without sending a request named no service: reported now,
    // and written at once when close() has already flushed the refusal log, since nothing will flush it again.
    this.#report(conn);
    if (this.#state === 'closed') this.#refusals.flush();
    conn.deadline?.cancel();
    if (conn.session) this.#options.sessions.release(conn.session);
    this.#connections.delete(conn);
    if (conn.refusing !== undefined) this.#limits.releaseRefusal(conn.refusing);
    else this.#limits.releaseConnection();
    if (conn.share !== undefined) this.#limits.releaseShare(conn.share);
    this.#progressed();
  }

  /** Where the connection comes from is known: its share of the per-address limit, then TLS or HTTP. */
  #admit(conn: DownstreamConnection): void {
    const address = conn.endpoints.address;
    const share = this.#limits.takeShare(address);
    if (share === 'counted') conn.share = address;
    else if (share === 'full') {
      // A 503 tells the client what happened; it takes neither a share nor a place in the total while it waits
      // (limits.ts), so refusals never crowd out anyone's connections. A tcp:// or ssl:// client cannot be told.
      this.#refuse('limits', 'connection refused', 'tcp.maximum.connections.per.address reached', conn.downstream, {
        code: 'GW_ERR_CONNECTION_LIMIT',
        limit: this.#options.maximumConnectionsPerAddress,
      });
      if (this.#stream || !this.#limits.takeRefusal(address)) {
        conn.socket.destroy();
        return;
      }
      conn.refusing = address;
      conn.refusal = { status: 503, message: 'Too many connections from your address.' };
    }
    if (!this.#tls) {
      this.#toHttp(conn);
      return;
    }
    if (!this.#options.plain) {
      this.#startTls(conn);
      return;
    }
    conn.phase = 'sniff';
    conn.readyAt = Date.now();
    sniffTransport(conn.socket, (transport) => {
      if (conn.phase !== 'sniff') return; // closed by its deadline, which said so
      if (transport === 'tls') this.#startTls(conn);
      else this.#toHttp(conn);
    });
  }

  /**
   * The certificate for a client's SNI name, from the TLS in force: one function for every connection, since each
   * TLS socket keeps the one it was given for its life. A TLS listener stays one (incompatibility()).
   */
  readonly #contextFor = (servername: string): SecureContext => contextForServername(this.#tls as PreparedServerTls, servername);

  #startTls(conn: DownstreamConnection): void {
    const tls = this.#tls as PreparedServerTls;
    conn.phase = 'tls';
    conn.judgedUnder = tls.trust;
    conn.tls = acceptTls(
      conn.socket,
      {
        context: tls.context,
        contextFor: this.#contextFor,
        verifyClient: this.#options.verifyClient,
        tickets: tls.tickets,
      },
      {
        secure: (socket) => this.#vet(conn, socket),
        failed: (socket, err) => this.#handshakeFailed(conn, socket, err),
      },
    );
  }

  #handshakeFailed(conn: DownstreamConnection, socket: TLSSocket, err: NodeJS.ErrnoException): void {
    if (conn.phase !== 'tls') return; // closed by its deadline, which said so
    conn.phase = 'refused';
    if (err.code === NO_CERTIFICATE) {
      // OpenSSL has sent the alert (certificate_required in TLS 1.3, handshake_failure in 1.2).
      this.#options.meter.handshakeFailed(NO_CERTIFICATE);
      this.#refuse('no_certificate', 'client certificate refused', 'no client certificate sent', conn.downstream, { code: 'GW_ERR_CLIENT_CERTIFICATE' }, 'client certificate refused: no client certificate sent');
    } else if (err.code === 'ECONNRESET' && conn.socket.bytesRead === 0) {
      // Connected and left without a byte: a load balancer's TCP health check, not a failed handshake.
      this.#options.log.debug({ downstream: conn.downstream }, 'connection closed before the TLS handshake began');
    } else {
      this.#options.meter.handshakeFailed(err.code ?? 'error');
      const plain = PLAIN_HTTP_ON_TLS.has(err.code ?? '');
      const hint = plain ? PLAIN_HTTP_HINT : this.#clientRefusedHint(err.code);
      this.#refuse('tls_handshake', 'TLS handshake failed', err.code ?? err.message, conn.downstream, { code: 'GW_ERR_TLS_HANDSHAKE', detail: err.message, ...(hint !== undefined ? { hint } : {}) });
      // Answered as nginx answers it, in plain HTTP on the TCP socket under the failed TLS one, so that a person who
      // tried ws:// or http:// sees why rather than a closed connection. OpenSSL recognised the request's method,
      // so no byte of a TLS client's is ever read as HTTP, and a good connection pays nothing for it.
      if (plain) refuseUpgrade(conn.socket, 400, 'Bad request: this address takes TLS only; use wss:// (or https://).');
    }
    socket.destroy();
  }

  #clientRefusedHint(code: string | undefined): string | undefined {
    const entries = this.#tls?.entries;
    if (entries === undefined) return undefined;
    return clientRefusedHint(code, servedBy(this.where, entries));
  }

  /**
   * The client certificate is judged before the HTTP parser sees a byte: a refused client never reaches a service.
   * One that sent none to a `required` listener was refused in the handshake; one whose certificate did not verify
   * gets a 403 naming the cause, since Node cannot end the handshake with the matching alert (tls/accept.ts).
   */
  #vet(conn: DownstreamConnection, socket: TLSSocket): void {
    conn.tlsResumed = socket.isSessionReused();
    this.#options.meter.handshakeCompleted(conn.tlsResumed);
    // A resumed session's certificate is judged again against the trust of the TLS that resumed it. A listener that
    // asks for no certificate gets none: its sessions (which hold their secrets) are not read for one.
    conn.identity = this.#options.verifyClient === 'none' ? anonymousIdentity() : identify(socket, this.#tls?.trust);
    this.#judge(conn);
    this.#toHttp(conn);
  }

  /**
   * The client's certificate under the rules in force, until a service takes the connection over: after the
   * handshake, and again before each request and the upgrade. OpenSSL verified the handshake under the trust it
   * began with; a CRL re-read or a reload since (on a kept-alive connection, any time before) is applied here, as
   * rejudge() applies it to live sessions. A refusal is owed from then on (`conn.refusal`).
   */
  #judge(conn: DownstreamConnection): void {
    if (conn.refusal !== undefined || conn.tls === undefined) return;
    const trust = this.#tls?.trust;
    if (conn.identity !== undefined && conn.judgedUnder !== trust) conn.identity = reverify(conn.identity, trust);
    conn.judgedUnder = trust;
    const reason = refusalReason(conn.identity ?? anonymousIdentity(), this.#options.verifyClient, this.#options.verifyDepth);
    if (reason !== undefined) this.#owe(conn, reason, reason.split(':')[0] ?? reason);
  }

  /**
   * The refusal a connection is owed for its certificate, or for the certificate ticket its realm admitted it by:
   * answered (403) and reported with its next request or upgrade. Grouped by `code` (OpenSSL's): the rest of `reason`
   * names the certificate, which a scanner can vary at will.
   */
  #owe(conn: DownstreamConnection, reason: string, code: string): void {
    const identity = conn.identity ?? anonymousIdentity();
    const kind = identity.ticketChain !== undefined ? 'certificate ticket refused' : 'client certificate refused';
    conn.unreported = {
      why: certificateRefusal(code),
      kind,
      reason: code,
      message: `${kind}: ${reason}`,
      fields: { code: 'GW_ERR_CLIENT_CERTIFICATE', detail: reason, ...(identity.presented ? { subject: identity.subject, fingerprint: identity.fingerprint256 } : {}) },
    };
    conn.refusal = { status: 403, message: `Forbidden: ${kind} (${code}).` };
  }

  #toHttp(conn: DownstreamConnection): void {
    if (this.#stream) {
      this.#toStream(conn);
      return;
    }
    // A client that is owed a refusal is answered whatever it sends, and never waited for as a request.
    conn.phase = conn.refusal ? 'refused' : 'http';
    conn.readyAt = Date.now();
    if (conn.refusal) this.#progressed();
    const socket = conn.httpSocket;
    // What the sniff or the PROXY header reader put back is counted as read but has not reached the HTTP parser:
    // it is the request's first bytes, so a client that stalls after them is owed a 408 like any other.
    conn.httpBytesAtStart = socket.bytesRead - socket.readableLength;
    this.#bySocket.set(socket, conn);
    this.#http.emit('connection', socket);
    // A plain socket paused after its PROXY header must flow again for the HTTP parser; TLS resumes it itself (and
    // resuming it here would hand the bytes meant for the handshake to no one).
    if (!conn.tls && socket.isPaused()) socket.resume();
  }

  /** `ws.handshake.timeout` expired before the upgrade: a request already begun gets 408, anything else is closed. */
  #expired(conn: DownstreamConnection): void {
    conn.deadline = undefined;
    const phase = conn.phase;
    // A backend being connected for this client has its own deadline, and its failure its own answer (502); a
    // request being answered or a kept-alive connection between requests has no deadline of the listener's.
    if (phase === 'connecting' || phase === 'serving' || phase === 'idle') return;
    if (phase === 'refused' || phase === 'upgraded') {
      conn.tls?.destroy();
      conn.socket.destroy();
      return;
    }
    const started = phase === 'http' && conn.requestStarted;
    if (sentNothing(conn)) {
      // Set up and never used: most often a browser's spare connection (Chromium opens one ahead of the requests it
      // may make, and leaves it unused). Nothing was asked, so nothing is refused: it is closed, said at debug.
      const what = phase === 'sniff' ? 'nothing sent' : 'no HTTP request';
      this.#options.log.debug(
        { event: 'closed', kind: 'handshake timeout', reason: what, downstream: conn.downstream, code: 'GW_ERR_HANDSHAKE_TIMEOUT', timeoutMs: this.#options.handshakeTimeoutMs },
        `ws.handshake.timeout expired: ${what} (most often a browser's unused spare connection): closed`,
      );
      this.#closeAtDeadline(conn);
      this.#progressed();
      return;
    }
    const what =
      phase === 'proxy-header'
        ? 'no PROXY header'
        : phase === 'sniff'
          ? 'nothing sent'
          : phase === 'tls'
            ? 'TLS handshake not completed'
            : 'HTTP request not completed';
    if (phase === 'tls') this.#options.meter.handshakeFailed('timeout');
    this.#refuse('deadline', 'handshake timeout', what, conn.downstream, { code: 'GW_ERR_HANDSHAKE_TIMEOUT', timeoutMs: this.#options.handshakeTimeoutMs }, `ws.handshake.timeout expired: ${what}`);
    if (started) {
      const socket = conn.httpSocket;
      this.#refused(conn, socket);
      refuseUpgrade(socket, 408, 'Request timeout: the request did not arrive in time.');
      return;
    }
    this.#closeAtDeadline(conn);
  }

  #closeAtDeadline(conn: DownstreamConnection): void {
    conn.phase = 'refused';
    conn.tls?.destroy();
    conn.socket.destroy();
  }

  /**
   * The client has been (or is being) answered with a refusal: nothing it sends from now on is served, and its
   * socket is destroyed if it has not closed within the grace period.
   */
  #refused(conn: DownstreamConnection, socket: Duplex): void {
    if (conn.phase === 'refused') return;
    conn.phase = 'refused';
    this.#closeGrace.add(() => socket.destroy());
    this.#progressed();
  }

  #refuse(
    why: RefusalReason,
    kind: string,
    reason: string,
    downstream: string,
    fields: Record<string, unknown>,
    message = `${kind}: ${reason}`,
    service = this.#soleService,
  ): void {
    // The line names the service exactly when the count does, so that the log, the metric and `status` agree.
    this.#refusals.note({ kind, reason, message, fields: { downstream, ...(service !== undefined ? { service } : {}), ...fields } });
    const subject = typeof fields['subject'] === 'string' ? fields['subject'] : undefined;
    const fingerprint = typeof fields['fingerprint'] === 'string' ? fields['fingerprint'] : undefined;
    this.#options.meter.refused(why, service, { downstream, message, subject, fingerprint });
  }

  /**
   * Logs and counts the refusal a connection is owed but has not reported (its certificate refused before it sent a
   * request), for `service`: the one its request is for, or by default the address's only service.
   */
  #report(conn: DownstreamConnection, service = this.#soleService): void {
    const owed = conn.unreported;
    if (owed === undefined) return;
    conn.unreported = undefined;
    this.#refuse(owed.why, owed.kind, owed.reason, conn.downstream, owed.fields, owed.message, service);
  }

  /**
   * Reports what the connection is owed for the service `req` would be routed to. It is routed by Host and path
   * only to name that service: the request is refused whatever it asks for, and reaches no service.
   */
  #reportRouted(conn: DownstreamConnection, req: IncomingMessage, kind: 'upgrade' | 'request'): void {
    if (conn.unreported === undefined) return;
    const route = toOriginForm(req) ? this.#routes.match(req.headers.host, pathOf(req.url), kind, conn.tls !== undefined) : undefined;
    this.#report(conn, route?.service.config.name ?? this.#soleService);
  }

  /** Counts a refusal at the HTTP layer (logged where it is decided), with the connection's identity if any. */
  #count(why: RefusalReason, conn: DownstreamConnection, message: string, service: string | undefined): void {
    const id = conn.identity?.presented ? conn.identity : undefined;
    this.#options.meter.refused(why, service ?? this.#soleService, { downstream: conn.downstream, message, subject: id?.subject, fingerprint: id?.fingerprint256 });
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // The HTTP server drops its own error handler when it hands the socket over; a refusal below writes to it.
    socket.on('error', destroyOnError);
    const conn = this.#bySocket.get(req.socket);
    if (!conn) {
      socket.destroy();
      return;
    }
    this.#judge(conn);
    // `why`: the refusal is counted here (one decided earlier, such as a refused certificate, was counted then).
    const refuse = (status: number, message: string, why?: RefusalReason, service?: string) => {
      if (why !== undefined) this.#count(why, conn, `${status} ${message}`, service);
      this.#refused(conn, socket);
      refuseUpgrade(socket, status, message);
    };
    if (conn.refusal) {
      this.#reportRouted(conn, req, 'upgrade');
      return refuse(conn.refusal.status, conn.refusal.message);
    }
    // Answered already (a 408 to a client that then finished its request): nothing more is served.
    if (conn.phase === 'refused' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (this.#state === 'closed') return refuse(503, 'The gateway is shutting down.', 'shutting_down');
    if (!toOriginForm(req)) return refuse(400, BAD_TARGET, 'bad_request');
    const malformed = upgradeRequestProblem(req);
    if (malformed !== undefined) return refuse(400, `Bad request: ${malformed}.`, 'bad_request');
    const path = pathOf(req.url);
    const route = this.#routes.match(req.headers.host, path, 'upgrade', conn.tls !== undefined);
    // What the client is admitted under: rules that change before it is upgraded judge it again then.
    const rulesAt = this.#rulesChanged;
    const log = this.#options.log;
    const downstream = conn.downstream;
    if (!route || !route.service.available) {
      if (route) log.info({ event: 'refused', downstream, path, code: 'GW_ERR_UPSTREAM_UNAVAILABLE' }, 'service unavailable while its backend recovers: upgrade refused');
      else log.info({ event: 'refused', downstream, path, code: 'GW_ERR_NO_SERVICE' }, 'no service for path: upgrade refused');
      return refuse(404, `No service accepts ${path} here.`, route ? 'unavailable' : 'not_found', route?.service.config.name);
    }
    const servername = conn.tls?.servername || undefined;
    if (this.#tls && conn.tls && misdirected(this.#tls, this.#routes, servername, req.headers.host, path)) {
      log.info({ event: 'refused', downstream, path, servername, host: req.headers.host, code: 'GW_ERR_MISDIRECTED' }, 'SNI and Host name different services or certificates: upgrade refused');
      return refuse(421, `Misdirected request: this connection was set up for ${servername}.`, 'misdirected');
    }
    const { service, accept } = route;
    const refusal = originRefusal(req.headers.origin, { accept, hostHeader: req.headers.host, secure: conn.tls !== undefined }, service.config.crossSiteConstraints);
    if (refusal !== undefined) return this.#refuseOrigin(conn, service.config.name, refusal, refuse);
    const realm = route.realm;
    if (realm === undefined) return this.#admitted(conn, req, socket, head, route, path, undefined, rulesAt);
    const admission = { realm, authorization: service.config.authorization, verifyClient: this.#options.verifyClient, trusts: this.#options.trusts, service: service.config.name, kind: 'websocket' as const };
    // The handshake deadline still runs while the login modules do: a slow token directory cannot hold a client forever.
    void admitByRealm(admission, conn, req, log).then((decision) => {
      if (conn.phase === 'refused' || socket.destroyed) {
        socket.destroy();
        return;
      }
      if (!decision.ok) {
        const { message, headers } = realmRefusal(decision, realm.config.name);
        // A challenge (no credentials were sent) is how a login begins, not a refusal to count.
        if (decision.challenged !== true) this.#count('realm', conn, `${decision.status} ${message}`, service.config.name);
        this.#refused(conn, socket);
        return refuseUpgrade(socket, decision.status, message, headers);
      }
      this.#admitted(conn, req, socket, head, route, path, decision, rulesAt);
    }).catch((err: unknown) => {
      // A login module's failures are decisions; anything else is a bug, which costs this client, not the process.
      log.error({ code: 'GW_ERR_INTERNAL', conn: conn.id, err }, 'upgrade failed unexpectedly: connection closed');
      socket.destroy();
    });
  }

  /** Origin and realm passed: the access-constraints (which see a ticket's identity), then the upgrade. */
  #admitted(conn: DownstreamConnection, req: IncomingMessage, socket: Duplex, head: Buffer, route: Route, path: string, realm: RealmDecision | undefined, rulesAt: number): void {
    const refuse = (status: number, message: string, why?: RefusalReason, service?: string) => {
      if (why !== undefined) this.#count(why, conn, `${status} ${message}`, service);
      this.#refused(conn, socket);
      refuseUpgrade(socket, status, message);
    };
    const log = this.#options.log;
    const { service, accept } = route;
    if (this.#state === 'closed') return refuse(503, 'The gateway is shutting down.', 'shutting_down');
    // The upgrade is the connection's last request: from here on, the connection is whom its realm admitted.
    if (realm !== undefined) ({ identity: conn.identity, principal: conn.principal } = credentialsOf(realm, route.realm?.config.name ?? '', conn));
    const denial = accessDenial(route, conn, path, this.#options.log);
    if (denial !== undefined) {
      this.#count('access', conn, deniedMessage(denial), service.config.name);
      return refuse(403, ACCESS_REFUSED);
    }
    const ctx = conn.context(accept.uri, path, log, route.meter, conn, service.config.name);
    const upgrader = route.wss;
    if (!upgrader) return refuse(500, 'This accept serves no WebSocket connections.');
    const setCookie = realm?.ok === true ? realm.setCookie : undefined;
    // A client that reads after its own close frame (`gateway connect`, another gateway) has its close passed on to a
    // byte-stream backend as a FIN and answered after the backend's end; it is told so (ws-connector.ts).
    const halfClose = service.holdsClientCloses === true && req.headers[HALF_CLOSE_HEADER.toLowerCase()] === '1';
    // ws answers the upgrade synchronously (no verifyClient option), so its 'headers' event fires inside handleUpgrade.
    const addCookie = (headers: string[], request: IncomingMessage): void => {
      if (request !== req) return;
      if (setCookie !== undefined) headers.push(`Set-Cookie: ${setCookie}`);
      if (halfClose) headers.push(`${HALF_CLOSE_HEADER}: 1`);
    };
    const upgrade = (upstream: End | undefined): void => {
      if (rulesAt !== this.#rulesChanged && this.#refusedMeanwhile(conn, { serviceName: service.config.name, accept: accept.uri, path, origin: req.headers.origin, host: req.headers.host }, refuse)) {
        upstream?.destroy();
        return;
      }
      let taken = false;
      upgrader.on('headers', addCookie);
      upgrader.handleUpgrade(req, socket, head, (ws) => {
        taken = true;
        const end = new WebSocketEnd(ws, { inactivityTimeoutMs: service.config.acceptOptions.wsInactivityTimeoutMs, holdClose: halfClose ? 'now' : undefined });
        this.#handOver(conn, service, ctx, end, req.headers.origin, req.headers.host);
        if (realm?.ok === true && realm.by === 'realm') this.#expireAuthorization(ws, conn.session, route);
        service.handle(end, ctx, upstream);
      });
      upgrader.off('headers', addCookie);
      // ws refused the request (a malformed key, say) and closed the socket: the backend has no client.
      if (!taken && upstream) socket.once('close', () => taken || upstream.destroy());
    };
    if (!service.connectsBeforeUpgrade || !service.prepareUpgrade) {
      // Answered a turn later, outside the read that brought the request: a write to a TLS socket from inside its
      // own read keeps one of OpenSSL's 16 KiB record buffers for the connection's life (bench/findings.md).
      setImmediate(() => {
        if (conn.phase === 'refused') return; // the handshake deadline answered it meanwhile
        if (this.#state === 'closed') return refuse(503, 'The gateway is shutting down.', 'shutting_down');
        upgrade(undefined);
      });
      return;
    }
    const problem = upgradeProblem(req);
    if (problem !== undefined) return refuse(400, `Bad request: ${problem}.`, 'bad_request', service.config.name);
    // The backend first, so that the client is told the subprotocol it chose; the connect has its own deadline.
    conn.phase = 'connecting';
    const cancellation = new Cancellation();
    const gone = (): void => cancellation.cancel();
    socket.once('close', gone);
    service.prepareUpgrade(ctx, { rawHeaders: req.rawHeaders, protocols: offeredProtocols(req) }, cancellation).then(
      ({ end, protocol }) => {
        socket.off('close', gone);
        if (cancellation.cancelled || socket.destroyed) {
          end.destroy();
          return this.#leftWhileConnecting(conn, socket, service.config.name);
        }
        if (this.#state === 'closed') {
          end.destroy();
          return refuse(503, 'The gateway is shutting down.', 'shutting_down', service.config.name);
        }
        chooseProtocol(req, protocol);
        upgrade(end);
      },
      (err: unknown) => {
        socket.off('close', gone);
        // A connect called off because the client went is no failure of the backend's, and no one is left to answer.
        if (cancellation.cancelled || socket.destroyed) return this.#leftWhileConnecting(conn, socket, service.config.name);
        refuse(502, `Bad gateway: the backend could not be reached (${errorCode(err)}).`, 'upstream', service.config.name);
      },
    );
  }

  /**
   * A client admitted under rules that have changed since (a reload or a CRL re-read while its realm's login modules
   * ran or its backend was connected) is no live session yet, so rejudge() did not judge it with the others: it is
   * judged by the rules in force now, and refused as it would be closed. Returns whether it was.
   */
  #refusedMeanwhile(conn: DownstreamConnection, on: CameIn, refuse: RefuseUpgrade): boolean {
    const verdict = judgeConnection(conn, on, this.#routes.routes, this.#tls?.trust, this.#options);
    if (verdict === undefined) return false;
    const log = this.#options.log;
    if (verdict === 'gone') {
      log.info({ event: 'refused', downstream: conn.downstream, path: on.path, code: 'GW_ERR_NO_SERVICE' }, 'no service for path: upgrade refused');
      refuse(404, `No service accepts ${on.path ?? '/'} here.`, 'not_found', on.serviceName);
    } else if (verdict.rule === 'access') {
      logAccessDenied(on.serviceName, conn, verdict.reason, log);
      this.#count('access', conn, deniedMessage(verdict.reason), on.serviceName);
      refuse(403, ACCESS_REFUSED);
    } else if (verdict.rule === 'origin') {
      this.#refuseOrigin(conn, on.serviceName, verdict.reason, refuse);
    } else {
      this.#owe(conn, verdict.reason, verdict.code);
      this.#report(conn, on.serviceName);
      if (conn.refusal) refuse(conn.refusal.status, conn.refusal.message);
    }
    return true;
  }

  /** A browser's upgrade from an Origin the service's cross-site-constraints do not allow. */
  #refuseOrigin(conn: DownstreamConnection, service: string, refusal: string, refuse: RefuseUpgrade): void {
    this.#options.log.warn({ event: 'refused', downstream: conn.downstream, service, code: 'GW_ERR_ORIGIN_DENIED', reason: refusal }, 'upgrade refused');
    refuse(403, `Forbidden: ${refusal}.`, 'origin', service);
  }

  /**
   * The client went away while its backend was being connected: it was refused nothing, so nothing is counted
   * towards refusals or the last refusals shown, as for a client that leaves during any other phase. It is logged at
   * info all the same: its request named a service, and clients that give up on a slow backend are worth seeing.
   */
  #leftWhileConnecting(conn: DownstreamConnection, socket: Duplex, service: string): void {
    this.#options.log.info({ conn: conn.id, downstream: conn.downstream, service, waitedMs: Date.now() - conn.acceptedAt }, 'client left before its backend was connected');
    socket.destroy();
  }

  /**
   * `authorization-timeout`: a WebSocket admitted by its realm's login modules is closed (1008) once that long has
   * passed, so credentials withdrawn (a token file removed, a user deleted) stop being served. One deadline list
   * per duration, as for the handshake. Closed as the gateway closes any session: counted and logged as its close,
   * and dropped if it does not finish closing in the grace period.
   */
  #expireAuthorization(ws: WebSocket, session: Session | undefined, route: Route): void {
    const ms = route.realm?.config.authorizationTimeoutMs;
    if (ms === undefined || session === undefined) return;
    let list = this.#authorizationDeadlines.get(ms);
    if (list === undefined) {
      list = new DeadlineList(ms);
      this.#authorizationDeadlines.set(ms, list);
    }
    const deadline = list.add(() => session.close(1008, 'authorization-timeout expired'));
    ws.once('close', () => deadline.cancel());
  }

  /** The connection is a service's from now on: the listener's deadline no longer applies, and it is a live session. */
  #handOver(conn: DownstreamConnection, service: Service, ctx: ConnectionContext, end: End, origin?: string, host?: string): void {
    conn.phase = 'upgraded';
    this.#progressed();
    conn.deadline?.cancel();
    conn.deadline = undefined;
    conn.session = this.#options.sessions.open({
      id: ctx.id,
      service,
      accept: ctx.accept,
      path: ctx.path,
      downstreamAddress: ctx.downstreamAddress,
      downstreamPort: ctx.downstreamPort,
      identity: ctx.identity,
      principal: ctx.principal?.name,
      origin,
      host,
      openedAt: ctx.openedAt,
      traffic: ctx.traffic,
      end,
    });
  }

  /**
   * A byte-stream client is refused by closing its connection, the only answer it has: over TLS with close_notify,
   * so that it sees the connection end rather than break off (Node cannot send the alert that would say why). What
   * it sends meanwhile is read and dropped, since unread bytes would turn the close into a reset; one that does not
   * close in turn is destroyed after the grace period.
   */
  #closeStream(conn: DownstreamConnection, socket: Duplex): void {
    this.#refused(conn, socket);
    socket.resume();
    socket.end();
  }

  /**
   * A tcp:// or ssl:// accept: no HTTP, so one service per address, and a refused client can only be disconnected
   * (the log says why). Address and certificate rules apply as on WebSocket accepts; there is no path to check.
   */
  #toStream(conn: DownstreamConnection): void {
    const route = this.#routes.routes[0];
    const socket = conn.httpSocket;
    const log = this.#options.log;
    const downstream = conn.downstream;
    if (conn.refusal || this.#state === 'closed' || !route) {
      this.#report(conn);
      if (!conn.refusal) this.#count('shutting_down', conn, 'the gateway is shutting down', undefined);
      this.#closeStream(conn, socket);
      return;
    }
    const { service, accept } = route;
    if (!service.available) {
      log.info({ event: 'refused', downstream, code: 'GW_ERR_UPSTREAM_UNAVAILABLE' }, 'service unavailable while its backend recovers: connection refused');
      this.#count('unavailable', conn, 'service unavailable while its backend recovers', service.config.name);
      this.#closeStream(conn, socket);
      return;
    }
    const denial = accessDenial(route, conn, '/', this.#options.log);
    if (denial !== undefined) {
      this.#count('access', conn, deniedMessage(denial, false), service.config.name);
      this.#closeStream(conn, socket);
      return;
    }
    const ctx = conn.context(accept.uri, undefined, this.#options.log, route.meter, conn, service.config.name);
    const end = new StreamEnd(socket);
    this.#handOver(conn, service, ctx, end);
    service.handle(end, ctx);
  }

}

/** A socket's error ends it; one function for every socket rather than a closure each, which would keep its scope. */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

function soleService(routes: readonly Route[]): string | undefined {
  const names = new Set(routes.map((r) => r.service.config.name));
  return names.size === 1 ? [...names][0] : undefined;
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'error';
}

function bindReason(err: NodeJS.ErrnoException): string {
  if (err.code === 'EADDRINUSE') return 'Address already in use';
  if (err.code === 'EACCES') return 'Permission denied (ports below 1024 need privileges)';
  if (err.code === 'EADDRNOTAVAIL') return 'Cannot assign requested address (no such local address)';
  return err.message;
}
