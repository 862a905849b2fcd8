/**
 * One listening address (host:port) of the gateway: a TCP or TLS server whose connections are vetted (client
 * certificate) before any HTTP byte is read, then handed to an HTTP parser that only does WebSocket upgrades and
 * routes each to the service whose accept matches by Host and path.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { AddressList } from '../auth/cidr.js';
import { originRefusal } from '../auth/origin.js';
import type { HostPort, VerifyClient } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { ConnectionContext } from '../services/types.js';
import { identify, refusalReason, type ClientIdentity } from '../tls/identity.js';
import { contextForServername, type PreparedServerTls } from '../tls/server.js';
import type { ProxyHeaderInfo } from '../upstream/proxy-protocol.js';
import { KEEPALIVE_DELAY_MS } from '../upstream/tcp-keepalive.js';
import { refuseUpgrade } from './http-response.js';
import { readProxyHeader } from './proxy-header.js';
import { RouteTable, type Route } from './routes.js';

export interface ListenerOptions {
  readonly listen: HostPort;
  /** Server TLS (from src/tls); undefined for a plain ws:// listener. Replaced later by updateTls(). */
  readonly tls: PreparedServerTls | undefined;
  readonly verifyClient: VerifyClient;
  readonly keepAliveTimeoutMs: number;
  readonly routes: readonly Route[];
  /** Read a PROXY protocol header from connections whose peer is in `trusted` (`tcp.proxy-protocol`). */
  readonly proxyProtocol: { readonly version: 'v1' | 'v2'; readonly trusted: AddressList } | undefined;
  /** `ssl.verify-depth`: the longest chain (leaf = depth 0) a client may present. */
  readonly verifyDepth: number | undefined;
  readonly log: Logger;
}

/** Where a connection really comes from and what it dialled: the socket's peer, or what a PROXY header said. */
interface Endpoints {
  readonly address: string;
  readonly port: number;
  readonly localAddress: string;
  readonly localPort: number;
}

function socketEndpoints(socket: Socket): Endpoints {
  return {
    address: socket.remoteAddress ?? '',
    port: socket.remotePort ?? 0,
    localAddress: socket.localAddress ?? '',
    localPort: socket.localPort ?? 0,
  };
}

/** Raw sockets and the TLS sockets over them report the same peer; the pair identifies a live TCP connection. */
function peerKey(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}

let nextConnectionId = 0;

function newConnectionId(): string {
  nextConnectionId = (nextConnectionId + 1) % Number.MAX_SAFE_INTEGER;
  return nextConnectionId.toString(36);
}

export class Listener {
  readonly #options: ListenerOptions;
  readonly #routes: RouteTable;
  readonly #server: NetServer;
  readonly #http: HttpServer;
  readonly #identities = new WeakMap<Duplex, ClientIdentity>();
  /** Raw TCP sockets, and the TLS sockets over them once their handshake finished: close() ends both. */
  readonly #sockets = new Set<Socket>();
  readonly #secureSockets = new Set<TLSSocket>();
  /** Endpoints announced by PROXY headers, by the peer of the raw connection that carried them. */
  readonly #announced = new Map<string, Endpoints>();
  readonly #handOff: (socket: Socket) => void;
  readonly #tlsServer: TlsServer | undefined;
  #tls: PreparedServerTls | undefined;
  #state: 'new' | 'listening' | 'closed' = 'new';

  constructor(options: ListenerOptions) {
    this.#options = options;
    this.#routes = new RouteTable(options.routes);
    this.#http = createHttpServer();
    this.#http.keepAliveTimeout = options.keepAliveTimeoutMs;
    this.#http.on('request', (req, res) => {
      const route = this.#routes.match(req.headers.host, pathOf(req.url));
      const status = route && route.service.available ? 426 : 404;
      const body =
        status === 426
          ? `This address serves WebSocket connections for service "${route?.service.config.name}"; connect with a WebSocket client.\n`
          : `No service accepts ${req.url ?? '/'} here.\n`;
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...(status === 426 ? { Upgrade: 'websocket' } : {}) });
      res.end(body);
    });
    this.#http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(req, socket, head));
    this.#http.on('clientError', (err, socket) => {
      options.log.debug({ err }, 'malformed HTTP request');
      refuseUpgrade(socket, 400, 'Malformed HTTP request.');
    });

    // One TCP server listens; TLS (when configured) runs over the sockets it accepts, so whatever must happen before
    // the handshake (reading a PROXY protocol header, say) has a place to happen.
    this.#tls = options.tls;
    if (options.tls) {
      // SNI goes through this listener's current contexts, so updateTls() swaps them for every host at once.
      const tlsServer = createTlsServer({
        ...options.tls.options,
        SNICallback: (servername, callback) => callback(null, contextForServername(this.#tls as PreparedServerTls, servername)),
      });
      this.#tlsServer = tlsServer;
      tlsServer.on('secureConnection', (socket: TLSSocket) => this.#vet(socket));
      tlsServer.on('tlsClientError', (err, socket) => {
        options.log.warn(
          { downstream: `${socket.remoteAddress}:${socket.remotePort}`, reason: err.message },
          'TLS handshake failed',
        );
      });
      this.#handOff = (socket) => tlsServer.emit('connection', socket);
    } else {
      this.#tlsServer = undefined;
      // A socket paused after its PROXY header must flow again for the HTTP parser; TLS resumes it itself (and
      // resuming it here would hand the bytes meant for the handshake to no one).
      this.#handOff = (socket) => {
        this.#http.emit('connection', socket);
        if (socket.isPaused()) socket.resume();
      };
    }
    // Small WebSocket frames must not wait on Nagle's algorithm (with delayed ACKs that is tens of milliseconds);
    // keep-alive probes find clients that vanished without a FIN when no inactivity timeout is configured.
    this.#server = createNetServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: KEEPALIVE_DELAY_MS }, (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      // A reset from a client is routine; without a listener it would be thrown and end the process (the HTTP and
      // TLS layers add their own while they own the socket, and remove them on upgrade).
      socket.on('error', () => socket.destroy());
      const proxy = options.proxyProtocol;
      // Only a trusted load balancer may say where a connection comes from; anyone else is served as they are.
      if (proxy && proxy.trusted.contains(socket.remoteAddress ?? '')) this.#readProxyHeader(socket, proxy.version);
      else this.#handOff(socket);
    });
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

  /**
   * Serves new handshakes with new TLS material (a re-read CRL, say); connections already open keep theirs.
   * The caller builds `tls` completely first, so a failure to build it never reaches a listener.
   */
  updateTls(tls: PreparedServerTls): void {
    if (!this.#tlsServer) throw new GatewayError('GW_ERR_STATE', 'updateTls on a listener without TLS');
    const { SNICallback: _unused, ...options } = tls.options;
    this.#tlsServer.setSecureContext(options);
    this.#tls = tls;
  }

  listen(): Promise<AddressInfo> {
    if (this.#state !== 'new') return Promise.reject(new GatewayError('GW_ERR_STATE', `listener is ${this.#state}`));
    const { host, port } = this.#options.listen;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.#state = 'closed';
        reject(
          new GatewayError('GW_ERR_BIND', `Unable to bind to resource: ${host}:${port} cause: ${bindReason(err)}`, {
            cause: err,
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
    const wasListening = this.#state === 'listening';
    this.#state = 'closed';
    if (!wasListening) return Promise.resolve();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** Drops every connection still open (after the services had their chance to close them cleanly). */
  destroyConnections(): void {
    // TLS sockets first: tearing a raw socket out from under a live TLS socket is not a path Node handles well.
    for (const s of this.#secureSockets) s.destroy();
    for (const s of this.#sockets) if (!s.destroyed) s.destroy();
  }

  #readProxyHeader(socket: Socket, version: 'v1' | 'v2'): void {
    socket.on('error', () => {});
    readProxyHeader(socket, version).then(
      (info) => {
        if (info !== 'local') {
          const key = peerKey(socket);
          this.#announced.set(key, fromHeader(info));
          socket.once('close', () => this.#announced.delete(key));
        }
        this.#handOff(socket);
      },
      (err: unknown) => {
        this.#options.log.warn(
          { downstream: `${socket.remoteAddress}:${socket.remotePort}`, code: 'GW_ERR_PROXY_PROTOCOL', reason: (err as Error).message },
          'PROXY protocol header refused',
        );
        socket.destroy();
      },
    );
  }

  #endpoints(socket: Socket): Endpoints {
    return this.#announced.get(peerKey(socket)) ?? socketEndpoints(socket);
  }

  /** The client certificate is judged before the HTTP parser sees a byte: a refused client never reaches a service. */
  #vet(socket: TLSSocket): void {
    const identity = identify(socket);
    const reason = refusalReason(identity, this.#options.verifyClient, this.#options.verifyDepth);
    if (reason !== undefined) {
      const from = this.#endpoints(socket);
      this.#options.log.warn(
        {
          downstream: `${from.address}:${from.port}`,
          reason,
          ...(identity.presented ? { subject: identity.subject, fingerprint: identity.fingerprint256 } : {}),
        },
        `client certificate refused: ${reason}`,
      );
      socket.destroy();
      return;
    }
    this.#identities.set(socket, identity);
    this.#secureSockets.add(socket);
    socket.once('close', () => this.#secureSockets.delete(socket));
    this.#http.emit('connection', socket);
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // The HTTP server drops its own error handler when it hands the socket over; a refusal below writes to it.
    socket.on('error', () => socket.destroy());
    if (this.#state !== 'listening') {
      refuseUpgrade(socket, 503, 'The gateway is shutting down.');
      return;
    }
    const path = pathOf(req.url);
    const route = this.#routes.match(req.headers.host, path);
    const from = this.#endpoints(req.socket);
    const downstream = `${from.address}:${from.port}`;
    const log = this.#options.log;
    if (!route || !route.service.available) {
      if (route) log.info({ downstream, path, code: 'GW_ERR_UPSTREAM_UNAVAILABLE' }, 'service unavailable while its backend recovers: upgrade refused');
      else log.info({ downstream, path }, 'no service for path: upgrade refused');
      refuseUpgrade(socket, 404, `No service accepts ${path} here.`);
      return;
    }
    const { service, accept } = route;
    const refusal = originRefusal(req.headers.origin, accept, service.config.crossSiteConstraints);
    if (refusal !== undefined) {
      log.warn({ downstream, service: service.config.name, reason: refusal }, 'upgrade refused');
      refuseUpgrade(socket, 403, `Forbidden: ${refusal}.`);
      return;
    }
    const identity = this.#identities.get(req.socket);
    const denial = route.access.check({ identity, address: from.address, acceptPath: accept.path, requestPath: path });
    if (denial !== undefined) {
      log.warn(
        {
          downstream,
          service: service.config.name,
          code: 'GW_ERR_ACCESS_DENIED',
          reason: denial,
          ...(identity?.presented ? { subject: identity.subject, fingerprint: identity.fingerprint256 } : {}),
        },
        'access refused',
      );
      refuseUpgrade(socket, 403, 'Forbidden: access-constraint not satisfied.');
      return;
    }
    const tlsSocket = req.socket as Partial<TLSSocket>;
    const id = newConnectionId();
    const ctx: ConnectionContext = {
      id,
      downstreamAddress: from.address,
      downstreamPort: from.port,
      localAddress: from.localAddress,
      localPort: from.localPort,
      tlsVersion: typeof tlsSocket.getProtocol === 'function' ? (tlsSocket.getProtocol() ?? undefined) : undefined,
      servername: typeof tlsSocket.servername === 'string' ? tlsSocket.servername : undefined,
      accept: accept.uri,
      path,
      identity,
      log: log.child({ conn: id, service: service.config.name }),
      openedAt: Date.now(),
    };
    route.wss.handleUpgrade(req, socket, head, (ws) => service.handle(ws, ctx));
  }
}

function fromHeader(info: ProxyHeaderInfo): Endpoints {
  return {
    address: info.sourceAddress,
    port: info.sourcePort,
    localAddress: info.destinationAddress,
    localPort: info.destinationPort,
  };
}

function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  const raw = q >= 0 ? url.slice(0, q) : url;
  return raw.length > 1 && raw.endsWith('/') ? raw.slice(0, -1) : raw || '/';
}

function bindReason(err: NodeJS.ErrnoException): string {
  if (err.code === 'EADDRINUSE') return 'Address already in use';
  if (err.code === 'EACCES') return 'Permission denied (ports below 1024 need privileges)';
  if (err.code === 'EADDRNOTAVAIL') return 'Cannot assign requested address (no such local address)';
  return err.message;
}
