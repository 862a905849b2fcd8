/**
 * One downstream connection as the listener knows it, from TCP accept until it is upgraded or closed: where it
 * really comes from, how far it got, who its certificate says it is, and what the listener owes it. One record,
 * so nothing about a connection is kept in side tables keyed by addresses.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { RefusalReason, ServiceMeter } from '../metrics/types.js';
import type { Session, Traffic } from '../services/sessions.js';
import type { ConnectionContext, Principal } from '../services/types.js';
import type { ClientIdentity } from '../tls/identity.js';
import type { TrustState } from '../tls/resumed.js';
import type { Deadline } from '../timers/deadlines.js';
import type { ProxyHeaderInfo } from '../upstream/proxy-protocol.js';

/** Where a connection really comes from and what it dialled: the socket's peer, or what a PROXY header said. */
export interface Endpoints {
  readonly address: string;
  readonly port: number;
  readonly localAddress: string;
  readonly localPort: number;
}

/**
 * How far a connection got: reading a load balancer's PROXY header, waiting for the first byte that tells TLS from
 * plain HTTP (on an address shared by ws:// and wss://), the TLS handshake, the HTTP request, waiting for its
 * WebSocket backend before its upgrade is answered, upgraded (handed to a service), or answered with a refusal and
 * waiting to close. A connection to an HTTP service goes from `http` to `serving` (requests being answered) to
 * `idle` (kept alive between requests) and back to `http` when the next request begins.
 */
export type Phase = 'proxy-header' | 'sniff' | 'tls' | 'http' | 'serving' | 'idle' | 'connecting' | 'upgraded' | 'refused';

/** An answer the listener owes a client at the HTTP layer, instead of routing its request. */
export interface HttpRefusal {
  readonly status: number;
  readonly message: string;
}

/**
 * A refusal decided before the client said what it wanted (its certificate, judged once the handshake completed),
 * kept until its request names the service it is counted and logged for (listener.ts).
 */
export interface UnreportedRefusal {
  readonly why: RefusalReason;
  readonly kind: string;
  readonly reason: string;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

let nextId = 0;

function newConnectionId(prefix: string): string {
  nextId = (nextId + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}${nextId.toString(36)}`;
}

export class DownstreamConnection {
  /** Short id, unique within the gateway (with `--workers`, the worker's number first), on every log line of the connection. */
  readonly id: string;
  readonly acceptedAt = Date.now();
  /** When it began to wait for the client's first request (its first byte, on an address that takes TLS and plain). */
  readyAt: number | undefined;
  phase: Phase;
  endpoints: Endpoints;
  tls: TLSSocket | undefined;
  /** Whether the TLS handshake resumed a session (a ticket); undefined until it completes, and without TLS. */
  tlsResumed: boolean | undefined;
  identity: ClientIdentity | undefined;
  /** The listener's trust `identity` was last judged under (the one its TLS handshake began with, at first). */
  judgedUnder: TrustState | undefined;
  /** Who passed the service's realm, once one has (`<realm-name>`). */
  principal: Principal | undefined;
  refusal: HttpRefusal | undefined;
  /** The reason for `refusal` while it is not logged and counted yet: until the first request, or the close. */
  unreported: UnreportedRefusal | undefined;
  /** The client address counted against `tcp.maximum.connections.per.address`, once it is. */
  share: string | undefined;
  /** The client address whose share this connection is over, while it waits for its 503 (limits.ts takeRefusal). */
  refusing: string | undefined;
  /** From accept to upgrade (`ws.handshake.timeout`); cancelled once the connection is a service's. */
  deadline: Deadline | undefined;
  /** The live session once a service has taken the connection over. */
  session: Session | undefined;
  /** What the HTTP layer's socket had read when it got the connection: more means a request has started. */
  httpBytesAtStart = 0;
  /** Plain HTTP requests being answered on this connection (more than one when a client pipelines). */
  requestsInFlight = 0;

  /** `idPrefix`: with `--workers`, the worker's number and a dash, which keep ids unique across the workers. */
  constructor(
    readonly socket: Socket,
    idPrefix = '',
  ) {
    this.id = newConnectionId(idPrefix);
    this.phase = 'tls';
    this.endpoints = {
      address: socket.remoteAddress ?? '',
      port: socket.remotePort ?? 0,
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
    };
  }

  /** The socket the HTTP layer reads: the TLS socket over the TCP one, or the TCP one itself. */
  get httpSocket(): Socket {
    return this.tls ?? this.socket;
  }

  /** Where the client says it comes from, as `address:port`, for log lines. */
  get downstream(): string {
    return `${this.endpoints.address}:${this.endpoints.port}`;
  }

  announce(info: ProxyHeaderInfo): void {
    this.endpoints = {
      address: info.sourceAddress,
      port: info.sourcePort,
      localAddress: info.destinationAddress,
      localPort: info.destinationPort,
    };
  }

  /**
   * What the service that takes the connection over is told of it. `log` is the connection's logger, or with
   * `service` the logger its own is made from (bound to the connection's id and the service's name).
   */
  context(accept: string, path: string | undefined, log: Logger, meter: ServiceMeter, who: { readonly identity: ClientIdentity | undefined; readonly principal: Principal | undefined } = this, service?: string): ConnectionContext {
    return new ServiceContext(this, accept, path, log, service, meter, who);
  }

  /** True once the client has sent any byte of an HTTP request. */
  get requestStarted(): boolean {
    return this.httpSocket.bytesRead > this.httpBytesAtStart;
  }
}

/**
 * A ConnectionContext that lives as long as its connection. Its logger is made on each use rather than kept: a
 * connection logs when it opens and closes, and a child logger kept for the hours in between costs more memory
 * than making it twice costs time. A class, so that the getter and closedByGateway are shared, not closures each.
 */
class ServiceContext implements ConnectionContext {
  readonly id: string;
  readonly downstreamAddress: string;
  readonly downstreamPort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly tlsVersion: string | undefined;
  readonly tlsResumed: boolean | undefined;
  readonly servername: string | undefined;
  readonly identity: ClientIdentity | undefined;
  readonly principal: Principal | undefined;
  readonly openedAt = Date.now();
  readonly traffic: Traffic = { bytesIn: 0, bytesOut: 0 };
  readonly #conn: DownstreamConnection;
  readonly #log: Logger;
  readonly #service: string | undefined;

  constructor(
    conn: DownstreamConnection,
    readonly accept: string,
    readonly path: string | undefined,
    log: Logger,
    service: string | undefined,
    readonly meter: ServiceMeter,
    who: { readonly identity: ClientIdentity | undefined; readonly principal: Principal | undefined },
  ) {
    const from = conn.endpoints;
    this.id = conn.id;
    this.downstreamAddress = from.address;
    this.downstreamPort = from.port;
    this.localAddress = from.localAddress;
    this.localPort = from.localPort;
    this.tlsVersion = conn.tls?.getProtocol() ?? undefined;
    this.tlsResumed = conn.tlsResumed;
    this.servername = conn.tls?.servername || undefined;
    this.identity = who.identity;
    this.principal = who.principal;
    this.#conn = conn;
    this.#log = log;
    this.#service = service;
  }

  get log(): Logger {
    return this.#service === undefined ? this.#log : this.#log.child({ conn: this.id, service: this.#service });
  }

  closedByGateway(): { readonly code: number; readonly reason: string } | undefined {
    return this.#conn.session?.closing;
  }
}
