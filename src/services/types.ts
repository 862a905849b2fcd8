/**
 * The small interface every service type implements. A listener hands a service each client it has admitted, as an
 * end (src/pipe/ends.ts: a WebSocket or a byte stream), together with what is known of the connection; the service
 * owns the connection from then on, and reports how it ended through the connection's logger (one line when it
 * opens, one when it closes).
 *
 * Services on http:// and https:// accepts (`directory`) answer plain HTTP requests instead: the listener keeps the
 * connection (keep-alive, deadlines, refusals) and hands the service one request at a time (`handleRequest`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config/types.js';
import type { ServiceMeter } from '../metrics/types.js';
import type { End } from '../pipe/ends.js';
import type { ClientIdentity } from '../tls/identity.js';
import type { Cancellation } from '../upstream/cancellation.js';
import type { Traffic } from './sessions.js';

export interface ConnectionContext {
  /** Short id, unique within this process, on every log line of the connection. */
  readonly id: string;
  /** The client's address and port as seen by the gateway (as a trusted PROXY header names them). */
  readonly downstreamAddress: string;
  readonly downstreamPort: number;
  /** The gateway address the client dialled (from a PROXY header when a load balancer sent one). */
  readonly localAddress: string;
  readonly localPort: number;
  /** Negotiated TLS version (`TLSv1.3`) and the SNI name the client sent; undefined without TLS. */
  readonly tlsVersion: string | undefined;
  readonly servername: string | undefined;
  /** Whether the TLS handshake resumed a session the client offered (a ticket); undefined without TLS. */
  readonly tlsResumed?: boolean | undefined;
  /** The accept URI the connection came in on. */
  readonly accept: string;
  /** The request path (without query) as the client sent it; undefined on tcp:// and ssl:// accepts, which have none. */
  readonly path: string | undefined;
  /** The TLS client identity (or the one a realm's certificate ticket stands for); undefined without either. */
  readonly identity: ClientIdentity | undefined;
  /** Who passed the service's realm; undefined without a realm or when a certificate passed by itself. */
  readonly principal?: Principal | undefined;
  /** A child logger bound to the connection's id and service. */
  readonly log: Logger;
  /** The service's metrics: told when the connection opens and closes. */
  readonly meter: ServiceMeter;
  readonly openedAt: number;
  /** Payload bytes carried so far, which the service adds to as they flow (the live session shows them). */
  readonly traffic: Traffic;
  /** The code and reason the gateway closed the client with (a drain, a reload, live policy), once it has. */
  readonly closedByGateway: () => { readonly code: number; readonly reason: string } | undefined;
}

/** A client that passed a realm: its name as logs show it (never a password or token), the realm, its roles. */
export interface Principal {
  readonly name: string;
  readonly realm: string;
  readonly roles: readonly string[];
}

/** What a WebSocket client asked for in its upgrade request, for a WebSocket backend to be asked the same. */
export interface ClientRequest {
  /** The request's headers as received (`IncomingMessage.rawHeaders`). */
  readonly rawHeaders: readonly string[];
  /** The subprotocols offered in `Sec-WebSocket-Protocol`, in order. */
  readonly protocols: readonly string[];
}

/** A backend connection ready to be fused, and the subprotocol a WebSocket backend chose (`''`: none). */
export interface OpenedUpstream {
  readonly end: End;
  readonly protocol: string;
}

export interface Service {
  readonly config: ServiceConfig;
  /** False while the service's accepts are down (proxy recovery); the listener answers 404 then, as Kaazing does. */
  readonly available: boolean;
  /**
   * Takes over an admitted client. `upstream`: the backend connection already opened by prepareUpgrade, when the
   * service connects before the client's upgrade is answered.
   */
  handle(downstream: End, ctx: ConnectionContext, upstream?: End): void;
  /**
   * Set when a WebSocket client's close frame goes on to a byte-stream backend as a FIN, and may be answered after
   * the backend's end for a client that reads after its own close (pipe/ends.ts, holdClose).
   */
  readonly holdsClientCloses?: boolean;
  /** Set when the backend must be connected before a WebSocket client's upgrade is answered (see proxy.ts). */
  readonly connectsBeforeUpgrade?: boolean;
  prepareUpgrade?(ctx: ConnectionContext, request: ClientRequest, cancellation: Cancellation): Promise<OpenedUpstream>;
  /**
   * Answers one plain HTTP request routed to an http:// or https:// accept of the service. The listener has already
   * applied what it applies to upgrades (the client certificate's verdict, SNI against Host, the access-constraints)
   * and owns the connection: the service writes one complete response through `res` (status, headers, body) and
   * never touches the socket, so keep-alive (`http.keepalive.timeout`) and the request deadline stay the listener's.
   * The listener logs one line per request (method, path, status, bytes, duration); `ctx` is the connection's, as
   * an upgrade would get it, with `path` the request's.
   */
  handleRequest?(req: IncomingMessage, res: ServerResponse, ctx: ConnectionContext): void;
  /**
   * A request machines make every few seconds (a health probe, a metrics scrape): its line is logged at debug rather
   * than info when it succeeds, so that probes do not fill the log. `accept` is the URI of the accept it came to.
   */
  isRoutineRequest?(req: IncomingMessage, accept: string): boolean;
  /** Starts what runs ahead of clients (prepared connections); called once the listeners are bound. */
  start?(): void;
  /**
   * Stops what runs ahead of clients, for a drain or a reload that replaced the service: the prepared connections
   * no client took are closed as clients are (a close frame with 1001 and `reason` to a WebSocket backend, a FIN to a
   * byte stream) and no more are opened; clients are not touched. Returns how many it closes; stop() waits for them.
   */
  stopPreparing?(reason: string): number;
  /**
   * A reload replaced this instance and its last session has closed: what it runs for itself (a backend's recovery
   * probes, a status feed) stops. Its clients are not touched, and a client still on its way to it (an upgrade under
   * way at the reload) is served all the same; stop() closes any it holds when the gateway stops.
   */
  retire?(): void;
  /** Closes every connection the service owns (1001, going away, to WebSocket clients). Safe to call twice. */
  stop(): Promise<void>;
}
