/**
 * The gateway's lifecycle: from a validated config, load every store and build every TLS context, service and
 * listener (prepare: nothing is bound yet, so `gateway check` runs exactly this); then bind (start) and stop.
 * A problem found while preparing is collected with the others, so a user sees all of them at once.
 */
import type { X509Certificate } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { Diagnostic, GatewayConfig, ServiceConfig, StoreConfig } from './config/types.js';
import { GatewayError, toGatewayError, type SourcePosition } from './errors.js';
import { isWebSocketScheme } from './config/uris.js';
import { loadStoreFile } from './keystore/index.js';
import type { StoreContents } from './keystore/types.js';
import { compileAccessRules, type AccessRules } from './auth/access.js';
import { compileAddressList } from './auth/cidr.js';
import { Listener, type ListenerOptions } from './listener/listener.js';
import { handleProtocols } from './listener/subprotocol.js';
import type { Route } from './listener/routes.js';
import { EchoService } from './services/echo.js';
import { ProxyService } from './services/proxy.js';
import { streamUpstream } from './services/stream-upstream.js';
import { SessionRegistry } from './services/sessions.js';
import type { Service } from './services/types.js';
import { prepareClientTls } from './tls/client.js';
import { loadCrls, type CrlSummary } from './tls/crl.js';
import { watchCrl } from './tls/crl-watch.js';
import { trustAnchors } from './tls/material.js';
import { prepareServerTls, type PreparedServerTls, type ServerTlsSettings } from './tls/server.js';
import { createConnector, type Connector } from './upstream/connector.js';
import { createWebSocketConnector, type WebSocketConnector } from './upstream/ws-connector.js';
import { webSocketUpstream } from './services/websocket-upstream.js';
import { meteredUpstream } from './services/metered-upstream.js';
import { NO_METRICS, type GatewayMetrics } from './metrics/types.js';
import { certificateReport } from './metrics/certificates.js';

export interface GatewayDependencies {
  readonly log: Logger;
  /** How backends are reached; tests wrap it. */
  readonly connector?: Connector;
  /** How WebSocket backends are reached; tests wrap it. */
  readonly webSocketConnector?: WebSocketConnector;
  /** Where connections, refusals and certificate lifetimes are counted; nothing by default. */
  readonly metrics?: GatewayMetrics;
  /** The live sessions the listeners register clients in; a new registry when not given. */
  readonly sessions?: SessionRegistry;
}

export interface BoundAccept {
  readonly service: string;
  readonly accept: string;
  readonly address: string;
  readonly port: number;
}

/** Either a gateway ready to bind or every problem found; warnings (weaker than it looks, but working) either way. */
export type PrepareResult =
  | { readonly ok: true; readonly gateway: Gateway; readonly warnings: readonly Diagnostic[] }
  | { readonly ok: false; readonly errors: readonly GatewayError[]; readonly warnings: readonly Diagnostic[] };

function warning(code: 'GW_ERR_STORE_WARNING' | 'GW_ERR_TLS_WARNING', message: string, position: SourcePosition | undefined): Diagnostic {
  return { severity: 'warning', code, message, position, hint: undefined };
}

/** A listener whose CRL is re-read when its file changes, and what its TLS contexts are rebuilt from. */
interface CrlWatch {
  readonly path: string;
  readonly settings: ServerTlsSettings;
  readonly anchors: readonly X509Certificate[];
  readonly listenerIndex: number;
}

/** What the certificate lifetimes reported to the metrics are read from; a listener's CRLs change as they reload. */
interface Certificates {
  readonly keystore: StoreContents | undefined;
  readonly truststore: StoreContents | undefined;
  readonly crls: (readonly CrlSummary[])[];
}

interface Stores {
  readonly keystore: StoreContents | undefined;
  readonly truststore: StoreContents | undefined;
}

/**
 * `pending`: what cannot be checked while this store cannot be read (said with its error, so that a user who fixes
 * it knows more may follow), or undefined when nothing depends on it.
 */
function loadStore(store: StoreConfig | undefined, role: 'keystore' | 'truststore', errors: GatewayError[], pending: string | undefined): StoreContents | undefined {
  if (!store) return undefined;
  try {
    return loadStoreFile({ file: store.file, type: store.type, passwordFile: store.passwordFile, role });
  } catch (e) {
    // Point at the <keystore>/<truststore> element that named the file, keeping the store's own code and message.
    const error = toGatewayError(e, 'GW_ERR_STORE_FORMAT', `reading ${role} "${store.file}"`, store.position);
    const message = pending === undefined ? error.message : `${error.message}; ${pending} once it can be read`;
    errors.push(new GatewayError(error.code, message, { position: error.position, hint: error.hint, cause: error.cause ?? error }));
    return undefined;
  }
}

/** What depends on each store, for the message of a store that cannot be read. */
function dependents(config: GatewayConfig): { keystore: string | undefined; truststore: string | undefined } {
  const tlsAccepts = config.listeners.some((l) => l.tls);
  const verifies = config.listeners.some((l) => l.tls && l.options.sslVerifyClient !== 'none');
  const tlsConnects = config.services.some((s) => s.connect?.scheme === 'ssl' || s.connect?.scheme === 'wss');
  const checked = (what: string[]): string | undefined => (what.length === 0 ? undefined : `${what.join(' and ')} are checked`);
  return {
    keystore: checked(tlsAccepts ? ['the certificates for the TLS accepts'] : []),
    truststore: checked([...(verifies ? ['client certificates'] : []), ...(tlsConnects ? ['backend certificates'] : [])]),
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function createService(
  config: ServiceConfig,
  stores: Stores,
  deps: GatewayDependencies,
  connectors: { readonly stream: Connector; readonly webSocket: WebSocketConnector },
  warnings: Diagnostic[],
): Service {
  if (config.type === 'echo') return new EchoService(config);
  let upstreamTls: ConnectionOptions | undefined;
  if (config.connect?.scheme === 'ssl' || config.connect?.scheme === 'wss') {
    const prepared = prepareClientTls({
      host: config.connect.host,
      truststore: stores.truststore,
      keystore: stores.keystore,
      alias: config.connectOptions.sslKeystoreAlias,
      ciphers: config.connectOptions.sslCiphers,
      protocols: config.connectOptions.sslProtocols,
      where: config.connect.uri,
    });
    for (const w of prepared.warnings) warnings.push(warning('GW_ERR_TLS_WARNING', w, config.connect.position));
    upstreamTls = prepared.options;
  }
  const log = deps.log.child({ service: config.name });
  const metrics = deps.metrics ?? NO_METRICS;
  const scheme = config.connect?.scheme;
  const upstream = scheme === 'ws' || scheme === 'wss' ? webSocketUpstream(config, connectors.webSocket, upstreamTls) : streamUpstream(config, connectors.stream, upstreamTls);
  return new ProxyService(config, { ...upstream, open: meteredUpstream(upstream.open, metrics.service(config.name)), log });
}

export class Gateway {
  readonly #config: GatewayConfig;
  readonly #services: readonly Service[];
  readonly #listeners: readonly Listener[];
  readonly #crlWatches: readonly CrlWatch[];
  readonly #stopWatching: (() => void)[] = [];
  readonly #sessions: SessionRegistry;
  readonly #log: Logger;
  readonly #certificates: Certificates;
  readonly #metrics: GatewayMetrics;
  #state: 'prepared' | 'starting' | 'started' | 'stopping' | 'stopped' = 'prepared';
  /** The one stop in progress or done, which every caller of stop() is given. */
  #stopping: Promise<void> | undefined;

  private constructor(
    config: GatewayConfig,
    services: readonly Service[],
    listeners: readonly Listener[],
    crlWatches: readonly CrlWatch[],
    sessions: SessionRegistry,
    certificates: Certificates,
    metrics: GatewayMetrics,
    log: Logger,
  ) {
    this.#certificates = certificates;
    this.#metrics = metrics;
    this.#config = config;
    this.#services = services;
    this.#listeners = listeners;
    this.#crlWatches = crlWatches;
    this.#sessions = sessions;
    this.#log = log;
  }

  /** Loads stores and builds every context, service and listener without binding anything. */
  static prepare(config: GatewayConfig, deps: GatewayDependencies): PrepareResult {
    const errors: GatewayError[] = [];
    const metrics = deps.metrics ?? NO_METRICS;
    const pending = dependents(config);
    const stores: Stores = {
      keystore: loadStore(config.security.keystore, 'keystore', errors, pending.keystore),
      truststore: loadStore(config.security.truststore, 'truststore', errors, pending.truststore),
    };
    const warnings: Diagnostic[] = [];
    for (const [contents, store] of [
      [stores.keystore, config.security.keystore],
      [stores.truststore, config.security.truststore],
    ] as const) {
      for (const w of contents?.warnings ?? []) warnings.push(warning('GW_ERR_STORE_WARNING', w, store?.position));
    }
    const connectors = { stream: deps.connector ?? createConnector(), webSocket: deps.webSocketConnector ?? createWebSocketConnector() };
    const services = new Map<ServiceConfig, Service>();
    for (const sc of config.services) {
      try {
        services.set(sc, createService(sc, stores, deps, connectors, warnings));
      } catch (e) {
        errors.push(toGatewayError(e, 'GW_ERR_TLS_CONTEXT', `service "${sc.name}"`, sc.connect?.position ?? sc.position));
      }
    }

    const byName = new Map(config.services.map((sc) => [sc.name, sc]));
    const upgraders = new Map<ServiceConfig, WebSocketServer>();
    const access = new Map<ServiceConfig, AccessRules>();
    for (const sc of config.services) {
      try {
        access.set(sc, compileAccessRules(sc.accessConstraints));
      } catch (e) {
        errors.push(toGatewayError(e, 'GW_ERR_CONFIG_VALUE', `access-constraint of service "${sc.name}"`, sc.accessConstraints[0]?.position ?? sc.position));
      }
    }
    const sessions = deps.sessions ?? new SessionRegistry();
    metrics.liveTraffic(() => sessions);
    const listeners: Listener[] = [];
    const crlWatches: CrlWatch[] = [];
    /** The CRLs of each listener, by its index: the metrics show the one whose nextUpdate comes first. */
    const crlSummaries: (readonly CrlSummary[])[] = [];
    for (const lc of config.listeners) {
      const members = lc.accepts.map((a) => ({ accept: a.accept, config: byName.get(a.service) as ServiceConfig }));
      const first = members[0];
      if (!first) continue;
      const options = lc.options;
      const where = lc.address;
      const secure = lc.tls;
      let prepared: PreparedServerTls | undefined;
      if (secure) {
        if (!stores.keystore) {
          if (!config.security.keystore) {
            errors.push(new GatewayError('GW_ERR_TLS_NO_KEYSTORE', `${first.accept.uri} needs a <keystore> in <security>`, { position: first.accept.position }));
          }
          continue;
        }
        if (config.security.truststore && !stores.truststore && options.sslVerifyClient !== 'none') continue; // already reported
        const settings: ServerTlsSettings = {
          keystore: stores.keystore,
          truststore: stores.truststore,
          hostnames: [...new Set(members.map((m) => m.accept.host))],
          verifyClient: options.sslVerifyClient,
          ciphers: options.sslCiphers,
          protocols: options.sslProtocols,
          where,
          verifyDepth: options.sslVerifyDepth,
        };
        try {
          const anchors = stores.truststore ? trustAnchors(stores.truststore) : [];
          const crl = options.sslCrl !== undefined ? loadCrls(options.sslCrl, { trustAnchors: anchors }) : undefined;
          prepared = prepareServerTls({ ...settings, crl });
          if (crl) crlSummaries[listeners.length] = crl.summary;
          for (const w of prepared.warnings) warnings.push(warning('GW_ERR_TLS_WARNING', w, first.accept.position));
          if (options.sslCrl !== undefined) crlWatches.push({ path: options.sslCrl, settings, anchors, listenerIndex: listeners.length });
        } catch (e) {
          errors.push(toGatewayError(e, 'GW_ERR_TLS_CONTEXT', `TLS for ${first.accept.uri}`, first.accept.position));
          continue;
        }
      }
      let proxyProtocol: ListenerOptions['proxyProtocol'];
      if (options.tcpProxyProtocol !== 'none') {
        try {
          proxyProtocol = {
            version: options.tcpProxyProtocol,
            trusted: compileAddressList(options.tcpProxyProtocolTrusted, 'tcp.proxy-protocol.trusted', first.accept.position),
          };
        } catch (e) {
          errors.push(toGatewayError(e, 'GW_ERR_CONFIG_VALUE', 'tcp.proxy-protocol.trusted', first.accept.position));
          continue;
        }
      }
      const routes: Route[] = [];
      for (const m of members) {
        const service = services.get(m.config);
        const rules = access.get(m.config);
        if (!service || !rules) continue;
        let wss = upgraders.get(m.config);
        if (!wss && isWebSocketScheme(m.accept.scheme)) {
          wss = new WebSocketServer({
            noServer: true,
            clientTracking: false,
            perMessageDeflate: false,
            maxPayload: m.config.acceptOptions.wsMaximumMessageSize,
            handleProtocols,
          });
          upgraders.set(m.config, wss);
        }
        routes.push({ accept: m.accept, service, wss, access: rules, meter: metrics.service(m.config.name) });
      }
      listeners.push(
        new Listener({
          listen: lc.listen,
          stream: lc.stream,
          tls: prepared,
          verifyClient: secure ? options.sslVerifyClient : 'none',
          verifyDepth: secure ? options.sslVerifyDepth : undefined,
          keepAliveTimeoutMs: options.httpKeepaliveTimeoutMs,
          handshakeTimeoutMs: options.wsHandshakeTimeoutMs,
          maximumConnections: options.tcpMaximumConnections,
          maximumConnectionsPerAddress: options.tcpMaximumConnectionsPerAddress,
          proxyProtocol,
          routes,
          log: deps.log,
          meter: metrics.listener(`${lc.listen.host}:${lc.listen.port}`),
          sessions,
        }),
      );
    }
    if (errors.length > 0) return { ok: false, errors, warnings };

    const certificates = { keystore: stores.keystore, truststore: stores.truststore, crls: crlSummaries };
    return { ok: true, gateway: new Gateway(config, [...services.values()], listeners, crlWatches, sessions, certificates, metrics, deps.log), warnings };
  }

  get config(): GatewayConfig {
    return this.#config;
  }

  /**
   * Every client a service holds, from admission to close, with its identity, addresses, live byte counts and a
   * close(code, reason). The same registry for the gateway's whole life, across reloads.
   */
  get sessions(): SessionRegistry {
    return this.#sessions;
  }

  /**
   * Why the gateway should not be sent new clients (a readiness probe): empty when it is started, every listener is
   * bound, it is not draining and every service is available (a proxy whose backend is down takes its accepts
   * down, see ProxyService.available). Each reason is one short line naming what is wrong.
   */
  readiness(): string[] {
    const reasons: string[] = [];
    if (this.#state !== 'started') reasons.push(`gateway is ${this.#state}`);
    for (const l of this.#listeners) if (!l.listening) reasons.push(`listener ${l.where} is not bound`);
    for (const s of this.#services) if (!s.available) reasons.push(`service "${s.config.name}" is unavailable`);
    return reasons;
  }

  /** Binds every listener; if one cannot bind, the ones already bound are closed again and the error thrown. */
  async start(): Promise<BoundAccept[]> {
    if (this.#state !== 'prepared') throw new GatewayError('GW_ERR_STATE', `cannot start a gateway that is ${this.#state}`);
    this.#state = 'starting';
    this.#log.info('Starting services');
    const bound: BoundAccept[] = [];
    try {
      for (const listener of this.#listeners) {
        const address = await listener.listen();
        for (const r of listener.routes) {
          const b = { service: r.service.config.name, accept: r.accept.uri, address: address.address, port: address.port };
          bound.push(b);
          this.#log.info({ event: 'listening', ...b }, `  ${r.accept.uri} (${address.address}:${address.port})`);
        }
      }
    } catch (e) {
      this.#state = 'stopped';
      await Promise.all(this.#listeners.map((l) => l.close()));
      await Promise.all(this.#services.map((s) => s.stop()));
      for (const l of this.#listeners) l.destroyConnections();
      throw e;
    }
    this.#state = 'started';
    this.#reportCertificates();
    for (const s of this.#services) s.start?.();
    for (const w of this.#crlWatches) this.#stopWatching.push(this.#watchCrl(w));
    this.#log.info('Started services');
    return bound;
  }

  #reportCertificates(): void {
    const c = this.#certificates;
    this.#metrics.certificates(certificateReport(c.keystore, c.truststore, c.crls.flat()));
  }

  /**
   * Re-reads a CRL when its file changes and rebuilds the listener's TLS contexts with it. A file that does not
   * load, or contexts that cannot be built, leave the listener serving with the CRL it had.
   */
  #watchCrl(w: CrlWatch): () => void {
    const listener = this.#listeners[w.listenerIndex] as Listener;
    return watchCrl(
      w.path,
      (crl) => {
        try {
          const prepared = prepareServerTls({ ...w.settings, crl });
          listener.updateTls(prepared);
          this.#certificates.crls[w.listenerIndex] = crl.summary;
          this.#reportCertificates();
          for (const warning of prepared.warnings) this.#log.warn(warning);
          this.#log.info({ crl: w.path, crls: crl.summary.length, revoked: crl.summary.reduce((n, c) => n + c.revoked, 0) }, `CRL reloaded: ${w.path}`);
        } catch (err) {
          this.#log.error({ crl: w.path, reason: errorText(err) }, `CRL reload failed, keeping the previous one: ${w.path}`);
        }
      },
      (err) => this.#log.error({ crl: w.path, reason: errorText(err) }, `CRL reload failed, keeping the previous one: ${w.path}`),
      { trustAnchors: w.anchors },
    );
  }

  /**
   * Closes every connection (1001 to WebSocket clients) and every listener. Every call returns the same promise,
   * settled when the stop is complete: whoever awaits stop() may go on to exit or rebind the port, so a second
   * caller must not be let go while the first call is still closing connections.
   */
  stop(): Promise<void> {
    // A start that failed has closed everything already.
    this.#stopping ??= this.#state === 'stopped' ? Promise.resolve() : this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#state = 'stopping';
    for (const stop of this.#stopWatching.splice(0)) stop();
    // Stop accepting first, so no client is upgraded into a service that is closing its connections.
    const closing = Promise.all(this.#listeners.map((l) => l.close()));
    await Promise.all(this.#services.map((s) => s.stop()));
    for (const l of this.#listeners) l.destroyConnections();
    await closing;
    this.#sessions.clear();
    this.#state = 'stopped';
    this.#log.info('Stopped server');
  }
}
