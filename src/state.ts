/**
 * Preparing a configuration: load every store and build every TLS context, service and listener, binding nothing.
 * `gateway check`, `start` and every reload run exactly this (through Gateway.prepare), so a reload accepts what
 * `check` accepts and refuses what it refuses.
 */
import type { X509Certificate } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { Diagnostic, GatewayConfig, ServiceConfig, StoreConfig } from './config/types.js';
import { eachError, GatewayError, toGatewayError, type SourcePosition } from './errors.js';
import { isWebSocketScheme } from './config/uris.js';
import { formatHostPort } from './config/rules.js';
import { loadStoreFile } from './keystore/index.js';
import type { DecodedStoreLookup, StoreContents } from './keystore/types.js';
import { compileAccessRules, type AccessRules } from './auth/access.js';
import { prepareRealm, type Realm } from './auth/realm/realm.js';
import { compileAddressList } from './auth/cidr.js';
import { Listener, type ListenerOptions } from './listener/listener.js';
import { handleProtocols } from './listener/subprotocol.js';
import type { Route } from './listener/routes.js';
import { DirectoryService } from './services/directory.js';
import { EchoService } from './services/echo.js';
import { RedirectService } from './services/redirect.js';
import { ProxyService } from './services/proxy.js';
import { streamUpstream } from './services/stream-upstream.js';
import type { SessionRegistry } from './services/sessions.js';
import { ManagementService } from './services/management/service.js';
import type { ManagementSource } from './services/management/types.js';
import type { Service } from './services/types.js';
import { prepareClientTls } from './tls/client.js';
import { loadCrls, stillAnchored, succeedCrls, type CrlSummary, type LoadedCrls } from './tls/crl.js';
import { crlFingerprint } from './tls/crl-watch.js';
import { trustAnchors } from './tls/material.js';
import { normaliseHostname } from './tls/select.js';
import { prepareServerTls, upcomingProblems, type PreparedServerTls, type ServerTlsSettings } from './tls/server.js';
import { keyEntryValidityWarnings, truststoreValidityWarnings, type CertificateUse } from './tls/validity.js';
import { unrootedWarnings } from './tls/trust-roots.js';
import type { TrustState } from './tls/resumed.js';
import { createConnector, type Connector } from './upstream/connector.js';
import { HostResolver } from './upstream/resolver.js';
import { CLOSE_HANDSHAKE_TIMEOUT_MS, createWebSocketConnector, type WebSocketConnector } from './upstream/ws-connector.js';
import { webSocketUpstream } from './services/websocket-upstream.js';
import { meteredUpstream } from './services/metered-upstream.js';
import { NO_METRICS, type GatewayMetrics } from './metrics/types.js';

export interface GatewayDependencies {
  readonly log: Logger;
  /** How backends are reached; tests wrap it. */
  readonly connector?: Connector;
  /** How WebSocket backends are reached; tests wrap it. */
  readonly webSocketConnector?: WebSocketConnector;
  /**
   * Where the backends' host names are resolved and kept (`tcp.resolve.ttl`); a new one for each configuration
   * prepared when not given, so that a reload looks every name up again.
   */
  readonly resolver?: HostResolver;
  /** Where connections, refusals and certificate lifetimes are counted; nothing by default. */
  readonly metrics?: GatewayMetrics;
  /** The live sessions the listeners register clients in (a reload's: the running gateway's); a new registry when not given. */
  readonly sessions?: SessionRegistry;
  /** What a management.http service reads and acts on: the gateway it serves (a reload's: the running one). */
  readonly management?: ManagementSource;
  /** How long a drain (SIGTERM, an accept removed by a reload) spreads its closes over; default 30 s. */
  readonly drainTimeoutMs?: number;
  /**
   * This process is worker N of `start --workers`: its connection ids start with N (unique across the workers), and
   * management.http answers for every worker (services/management/cluster.ts). Undefined for a gateway on its own.
   */
  readonly worker?: number | undefined;
  /** The stores a reload had decoded on a thread beforehand (keystore/decode-thread.ts); each is read as usual without. */
  readonly decodedStores?: DecodedStoreLookup | undefined;
  /**
   * The trust of every listener that verifies clients (Gateway#clientTrusts): what certificate tickets are judged
   * against. None when not given; a reload gives the listeners it keeps or adds the running gateway's.
   */
  readonly clientTrusts?: () => readonly TrustState[];
  /**
   * The CRLs a listener on an address serves with now from a path (a reload's: the running gateway's), which the CRLs
   * read from that path succeed CA by CA as a changed file's do (succeedCrls): a reload neither forgets a CA's CRL
   * gone from a directory nor takes back an older one. None: they are taken as they are read (a start).
   */
  readonly crlsInForce?: (where: string, path: string) => LoadedCrls | undefined;
}

const NO_TRUSTS = (): readonly TrustState[] => [];

function warning(code: 'GW_ERR_STORE_WARNING' | 'GW_ERR_TLS_WARNING', message: string, position: SourcePosition | undefined): Diagnostic {
  return { severity: 'warning', code, message, position, hint: undefined };
}

/** A TLS listener (by its index in `listeners`) and what its TLS contexts are built from, to build them again. */
export interface TlsSource {
  readonly listenerIndex: number;
  readonly settings: ServerTlsSettings;
}

/** A listener whose CRL is re-read when its file changes, and what its TLS contexts are rebuilt from. */
export interface CrlWatch {
  readonly path: string;
  readonly settings: ServerTlsSettings;
  readonly anchors: readonly X509Certificate[];
  readonly listenerIndex: number;
  /** The CRLs read with the state: what a changed file must succeed (succeedCrls). */
  readonly crl: LoadedCrls;
  /**
   * The files' fingerprint taken before they were read: a change made while the state waited to be swapped in (a
   * reload's, while the running state's watch still took changes) is read at the watch's first look, not lost.
   */
  readonly readAt: string;
}

/** What the certificate lifetimes reported to the metrics are read from; a listener's CRLs change as they reload. */
export interface Certificates {
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
function loadStore(
  store: StoreConfig | undefined,
  role: 'keystore' | 'truststore',
  errors: GatewayError[],
  pending: string | undefined,
  decoded: DecodedStoreLookup | undefined,
): StoreContents | undefined {
  if (!store) return undefined;
  try {
    return loadStoreFile({ file: store.file, type: store.type, passwordFile: store.passwordFile, role, decoded });
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

function createService(
  config: ServiceConfig,
  stores: Stores,
  deps: GatewayDependencies,
  connectors: { readonly stream: Connector; readonly webSocket: WebSocketConnector; readonly resolver: HostResolver },
  warnings: Diagnostic[],
  uses: CertificateUse[],
  ticketCookies: ReadonlySet<string>,
): Service {
  if (config.type === 'echo') return new EchoService(config);
  if (config.type === 'directory') return new DirectoryService(config);
  if (config.type === 'http.redirect') return new RedirectService(config);
  if (config.type === 'management.http') {
    if (!deps.management) throw new GatewayError('GW_ERR_INTERNAL', `service "${config.name}": a management service was prepared without the gateway it manages`);
    return new ManagementService(config, deps.management);
  }
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
    if (prepared.clientEntry) uses.push({ entry: prepared.clientEntry, role: 'client', where: config.connect.uri });
    upstreamTls = prepared.options;
  }
  const log = deps.log.child({ service: config.name });
  const metrics = deps.metrics ?? NO_METRICS;
  const scheme = config.connect?.scheme;
  const addresses = config.connect === undefined ? undefined : connectors.resolver.forHost(config.connect.host, config.connectOptions.tcpResolveTtlMs);
  const upstream =
    scheme === 'ws' || scheme === 'wss' ? webSocketUpstream(config, connectors.webSocket, upstreamTls, addresses, ticketCookies) : streamUpstream(config, connectors.stream, upstreamTls, addresses);
  return new ProxyService(config, { ...upstream, open: meteredUpstream(upstream.open, metrics.service(config.name)), log });
}

/** What a configuration prepares into, ready to bind: what a running gateway swaps in whole on a reload. */
export interface State {
  readonly config: GatewayConfig;
  readonly services: readonly Service[];
  readonly listeners: readonly Listener[];
  readonly crlWatches: readonly CrlWatch[];
  /** Every TLS listener's settings: its certificates are chosen again when one of the keystore starts or ends. */
  readonly tlsSources: readonly TlsSource[];
  /** When the listeners' certificates were chosen (ms since the epoch): a start or end since then is caught up with. */
  readonly chosenAt: number;
  /** What the certificate lifetimes reported to the metrics are read from. */
  readonly certificates: Certificates;
}

export type BuildResult =
  | { readonly ok: true; readonly state: State; readonly warnings: readonly Diagnostic[] }
  | { readonly ok: false; readonly errors: readonly GatewayError[]; readonly warnings: readonly Diagnostic[] };

/**
 * The CRLs at `path` for the listener on `where`: as read, or as successors of those it serves with now (a reload),
 * and the fingerprint of the files taken before they were read.
 */
function crlsFor(path: string, where: string, anchors: readonly X509Certificate[], deps: GatewayDependencies): { crl: LoadedCrls; readAt: string } {
  const readAt = crlFingerprint(path);
  const read = loadCrls(path, { trustAnchors: anchors });
  const inForce = deps.crlsInForce?.(where, path);
  return { crl: inForce === undefined ? read : succeedCrls(path, stillAnchored(inForce, anchors), read), readAt };
}

/**
 * Loads stores and builds every context, service and listener of `config` without binding anything; every problem
 * found is collected with the others, so a user sees all of them at once. Listeners register their clients in
 * `sessions`.
 */
export function buildState(config: GatewayConfig, deps: GatewayDependencies, sessions: SessionRegistry): BuildResult {
  const errors: GatewayError[] = [];
  const metrics = deps.metrics ?? NO_METRICS;
  const pending = dependents(config);
  const stores: Stores = {
    keystore: loadStore(config.security.keystore, 'keystore', errors, pending.keystore, deps.decodedStores),
    truststore: loadStore(config.security.truststore, 'truststore', errors, pending.truststore, deps.decodedStores),
  };
  const warnings: Diagnostic[] = [];
  for (const [contents, store] of [
    [stores.keystore, config.security.keystore],
    [stores.truststore, config.security.truststore],
  ] as const) {
    for (const w of contents?.warnings ?? []) warnings.push(warning('GW_ERR_STORE_WARNING', w, store?.position));
  }
  const connectors = {
    stream: deps.connector ?? createConnector(),
    webSocket: deps.webSocketConnector ?? createWebSocketConnector(),
    resolver: deps.resolver ?? new HostResolver(),
  };
  const services = new Map<ServiceConfig, Service>();
  /** Where each key entry's certificate is presented, for the warnings about its dates. */
  const uses: CertificateUse[] = [];
  // The cookies certificate tickets are read from: credentials of the gateway's own, never passed to a backend.
  const ticketCookies = new Set(config.security.realms.filter((r) => r.loginModules.some((m) => m.type === 'certificate-ticket')).flatMap((r) => r.httpCookies));
  for (const sc of config.services) {
    try {
      services.set(sc, createService(sc, stores, deps, connectors, warnings, uses, ticketCookies));
    } catch (e) {
      errors.push(toGatewayError(e, 'GW_ERR_TLS_CONTEXT', `service "${sc.name}"`, sc.connect?.position ?? sc.position));
    }
  }

  const realms = new Map<string, Realm>();
  for (const rc of config.security.realms) {
    try {
      realms.set(rc.name, prepareRealm(rc));
    } catch (e) {
      for (const failure of e instanceof GatewayError ? eachError(e) : [e]) errors.push(toGatewayError(failure, 'GW_ERR_REALM_FILE', `realm "${rc.name}"`, rc.position));
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
  metrics.liveTraffic(() => sessions);
  const listeners: Listener[] = [];
  const crlWatches: CrlWatch[] = [];
  const tlsSources: TlsSource[] = [];
  // Before any choice: a certificate that starts or ends while they are made is chosen again once the state runs.
  const chosenAt = Date.now();
  /** The CRLs of each listener, by its index: the metrics show the one whose nextUpdate comes first. */
  const crlSummaries: (readonly CrlSummary[])[] = [];
  for (const lc of config.listeners) {
    const members = lc.accepts.map((a) => ({ accept: a.accept, secure: a.secure, config: byName.get(a.service) as ServiceConfig }));
    const first = members[0];
    if (!first) continue;
    // TLS problems are told at the first TLS accept (an address may serve ws:// before wss://).
    const firstTls = members.find((m) => m.secure) ?? first;
    const options = lc.options;
    const where = lc.address;
    const secure = lc.tls;
    let prepared: PreparedServerTls | undefined;
    if (secure) {
      if (!stores.keystore) {
        if (!config.security.keystore) {
          errors.push(new GatewayError('GW_ERR_TLS_NO_KEYSTORE', `${firstTls.accept.uri} needs a <keystore> in <security>`, { position: firstTls.accept.position }));
        }
        continue;
      }
      if (config.security.truststore && !stores.truststore && options.sslVerifyClient !== 'none') continue; // already reported
      const settings: ServerTlsSettings = {
        keystore: stores.keystore,
        truststore: stores.truststore,
        hostnames: [...new Set(members.filter((m) => m.secure).map((m) => m.accept.host))],
        verifyClient: options.sslVerifyClient,
        ciphers: options.sslCiphers,
        protocols: options.sslProtocols,
        where,
        keystoreFile: config.security.keystore?.file,
        verifyDepth: options.sslVerifyDepth,
      };
      const anchors = stores.truststore ? trustAnchors(stores.truststore) : [];
      let crls: ReturnType<typeof crlsFor> | undefined;
      try {
        crls = options.sslCrl !== undefined ? crlsFor(options.sslCrl, where, anchors, deps) : undefined;
      } catch (e) {
        errors.push(toGatewayError(e, 'GW_ERR_TLS_CRL', `ssl.crl ${options.sslCrl ?? ''}`, options.sslCrlPosition ?? firstTls.accept.position));
        continue;
      }
      try {
        const crl = crls?.crl;
        prepared = prepareServerTls({ ...settings, crl });
        if (crl) crlSummaries[listeners.length] = crl.summary;
        for (const w of prepared.warnings) warnings.push(warning('GW_ERR_TLS_WARNING', w, firstTls.accept.position));
        for (const w of upcomingProblems({ ...settings, crl }, prepared.entries)) warnings.push(warning('GW_ERR_TLS_WARNING', w, firstTls.accept.position));
        for (const m of members) {
          const entry = m.secure ? prepared.entries.get(normaliseHostname(m.accept.host)) : undefined;
          if (entry) uses.push({ entry, role: 'server', where: m.accept.uri });
        }
        if (options.sslCrl !== undefined && crls !== undefined) crlWatches.push({ path: options.sslCrl, settings, anchors, listenerIndex: listeners.length, crl: crls.crl, readAt: crls.readAt });
        tlsSources.push({ listenerIndex: listeners.length, settings });
      } catch (e) {
        errors.push(toGatewayError(e, 'GW_ERR_TLS_CONTEXT', `TLS for ${firstTls.accept.uri}`, firstTls.accept.position));
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
          // Across a half-close to a byte-stream backend the pipe's close deadline bounds the closing handshake; ws's
          // own (30 s) stays the bound elsewhere. ws 8.23 reads the option; its type declarations do not have it yet.
          ...(service.holdsClientCloses === true ? ({ closeTimeout: CLOSE_HANDSHAKE_TIMEOUT_MS } as object) : {}),
        });
        upgraders.set(m.config, wss);
      }
      const realm = m.config.realmName === undefined ? undefined : realms.get(m.config.realmName);
      if (m.config.realmName !== undefined && realm === undefined) continue; // its problem is reported
      routes.push({ accept: m.accept, service, wss, access: rules, meter: metrics.service(m.config.name), secure: m.secure, realm });
    }
    listeners.push(
      new Listener({
        listen: lc.listen,
        stream: lc.stream,
        tls: prepared,
        plain: lc.plain,
        verifyClient: secure ? options.sslVerifyClient : 'none',
        verifyDepth: secure ? options.sslVerifyDepth : undefined,
        keepAliveTimeoutMs: options.httpKeepaliveTimeoutMs,
        handshakeTimeoutMs: options.wsHandshakeTimeoutMs,
        maximumConnections: options.tcpMaximumConnections,
        maximumConnectionsPerAddress: options.tcpMaximumConnectionsPerAddress,
        proxyProtocol,
        routes,
        idPrefix: deps.worker !== undefined ? `${deps.worker}-` : '',
        // Every line of the address (refusals above all) says which it is, as its metrics' `listener` label does.
        log: deps.log.child({ listener: formatHostPort(lc.listen) }),
        meter: metrics.listener(formatHostPort(lc.listen)),
        sessions,
        trusts: deps.clientTrusts ?? NO_TRUSTS,
      }),
    );
  }
  // Said once per store, at the element that names it: a certificate past its dates is accepted into a secure
  // context without complaint, and only each peer's refusal would otherwise tell. A truststore nothing checks
  // certificates against (no pending dependents) is not judged.
  if (config.security.keystore) {
    for (const w of keyEntryValidityWarnings(config.security.keystore.file, uses)) warnings.push(warning('GW_ERR_TLS_WARNING', w, config.security.keystore.position));
  }
  if (config.security.truststore && stores.truststore && pending.truststore !== undefined) {
    const { file, position } = config.security.truststore;
    for (const w of [...truststoreValidityWarnings(file, stores.truststore), ...unrootedWarnings(file, stores.truststore)]) warnings.push(warning('GW_ERR_TLS_WARNING', w, position));
  }
  if (errors.length > 0) return { ok: false, errors, warnings };

  const certificates: Certificates = { keystore: stores.keystore, truststore: stores.truststore, crls: crlSummaries };
  return { ok: true, state: { config, services: [...services.values()], listeners, crlWatches, tlsSources, chosenAt, certificates }, warnings };
}
