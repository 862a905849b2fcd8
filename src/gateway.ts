/**
 * The gateway's lifecycle: prepare a State from a validated config (state.ts: stores, TLS contexts, services,
 * listeners, nothing bound, so `gateway check` runs exactly this); bind it (start); swap a newly prepared State in
 * whole (reload); close its connections spread over time (drain); stop.
 *
 * A reload keeps every bound socket whose address is still configured and hands it the new routes, TLS material,
 * limits and options; binds the addresses that appear (before anything changes, so a failed bind changes nothing);
 * stops accepting on the ones that disappear. Established connections keep the service instance they started
 * with; an old instance closes its idle prepared connections at once and is stopped once its last connection has
 * closed. Connections whose accept is gone are
 * closed with 1001, spread over the drain timeout; live connections that the new rules refuse are closed with 1008.
 */
import type { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Diagnostic, GatewayConfig } from './config/types.js';
import { AggregateGatewayError, GatewayError } from './errors.js';
import { bindAll } from './listener/bind-all.js';
import { modeChange, type ListenerMode, type LiveRefusal, type Listener } from './listener/listener.js';
import { closeReason } from './pipe/close.js';
import { readFramesInPlace } from './pipe/frame-reader.js';
import { SESSION_CLOSE_GRACE_MS, SessionRegistry, type Session } from './services/sessions.js';
import type { Service } from './services/types.js';
import { certificateReport } from './metrics/certificates.js';
import { NO_METRICS, type CertificateReport, type GatewayMetrics } from './metrics/types.js';
import type { ListenerOverview, ManagementSource, ReloadOverview, ServiceOverview } from './services/management/types.js';
import { buildState, type CrlWatch, type GatewayDependencies, type State } from './state.js';
import type { LoadedCrls } from './tls/crl.js';
import { watchCrlExpiry } from './tls/crl-expiry.js';
import { watchCrl } from './tls/crl-watch.js';
import { formatDn, readCertificateNames } from './tls/x509-names.js';
import { prepareServerTls, sameEntries, servedChoice, upcomingEntries } from './tls/server.js';
import { describeServed, issuerOf, sameServed, servedBy, type ServedCertificate } from './tls/served.js';
import { selfSigned } from './tls/select.js';
import type { TrustState } from './tls/resumed.js';
import { watchValidityChanges } from './tls/validity-changes.js';
import { spread, type Spread } from './timers/spread.js';

export type { GatewayDependencies } from './state.js';

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

export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

/** The last reload: when (Date.now()), how it ended, and why it failed. */
export type ReloadRecord = ReloadOverview;

/** Why live connections were closed by policy: the rule that refused them (see Listener.rejudge). */
export type PolicyRule = LiveRefusal['rule'];

/** What a WebSocket client is told when the rules in force refuse it (1008). */
const POLICY_CLOSE_REASONS: Readonly<Record<PolicyRule, string>> = {
  revoked: 'certificate revoked',
  untrusted: 'certificate no longer trusted',
  certificate: 'certificate refused',
  access: 'access-constraint no longer satisfied',
  origin: 'origin no longer allowed',
};

type LifecycleState = 'prepared' | 'starting' | 'started' | 'draining' | 'stopping' | 'stopped';

function boundAddress(a: AddressInfo): string {
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

/** The management services' view of a gateway, read through `gateway()` at each call so that it follows reloads. */
function managementSource(gateway: () => Gateway | undefined, sessions: SessionRegistry, metrics: GatewayMetrics, cluster: boolean): ManagementSource {
  return {
    sessions,
    cluster,
    readiness: (services) => gateway()?.readiness(services) ?? ['gateway is not prepared'],
    metrics: () => metrics.text(),
    refusals: () => metrics.recentRefusals(),
    services: () => gateway()?.serviceOverview() ?? [],
    listeners: () => gateway()?.listenerOverview() ?? [],
    certificates: () => gateway()?.certificateReport() ?? certificateReport(undefined, undefined, []),
    lastReload: () => gateway()?.reloads.last,
  };
}

/** The listeners of `next` whose address `current` serves in a way a reload cannot change (Listener.incompatibility). */
function incompatibilities(current: State, next: State): GatewayError[] {
  const byAddress = new Map(current.listeners.map((l) => [l.where, l]));
  return next.listeners.flatMap((l) => {
    const problem = byAddress.get(l.where)?.incompatibility(l.options);
    return problem === undefined ? [] : [restartNeeded(l, problem)];
  });
}

function validAt(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

/**
 * The server certificates a reload would replace, for a host name on an address, with one its clients refuse, in
 * place of one valid now:
 * - an expired entry (an old copy of the keystore put back): every client of that name would refuse it;
 * - a self-signed entry in place of one a CA issued (keytool -genkeypair's placeholder, in a keystore rotated in place
 *   by deleting the entry, then making a new key pair under its alias): every client that checks the gateway's
 *   certificate would refuse it until the CA's reply is imported.
 * The reload is refused instead, and the certificate in force stays. One not valid yet is taken, with its warning: a
 * renewal whose start a clock a little behind has not reached would otherwise never be taken without another reload.
 * A certificate served at start-up however it is dated or issued (with a warning) is one the operator chose.
 */
function certificateRegressions(current: State, next: State, now = Date.now()): GatewayError[] {
  const inForce = new Map(current.listeners.map((l) => [l.where, l.tls]));
  return next.listeners.flatMap((l) => {
    const was = inForce.get(l.where);
    const will = l.tls;
    if (was === undefined || will === undefined) return [];
    const problems: GatewayError[] = [];
    for (const [host, entry] of will.entries) {
      const leaf = entry.chain[0];
      const old = was.entries.get(host);
      const oldLeaf = old?.chain[0];
      if (leaf === undefined || old === undefined || oldLeaf === undefined || !validAt(oldLeaf, now)) continue;
      const serve = `the reload would serve ${host} on ${l.where} with keystore entry "${entry.alias}" (${formatDn(readCertificateNames(leaf.raw).subject)})`;
      const position = l.options.routes[0]?.accept.position;
      if (Date.parse(leaf.validTo) < now) {
        problems.push(
          new GatewayError('GW_ERR_RELOAD', `${serve}, which expired at ${new Date(leaf.validTo).toISOString()}, in place of entry "${old.alias}", valid to ${new Date(oldLeaf.validTo).toISOString()}: every client would refuse it`, {
            position,
            hint: 'put a certificate valid now in the keystore; the one in force is served until then',
          }),
        );
      } else if (selfSigned(leaf) && !selfSigned(oldLeaf)) {
        problems.push(
          new GatewayError('GW_ERR_RELOAD', `${serve}, which is self-signed, in place of entry "${old.alias}", issued by ${issuerOf(oldLeaf)}: every client that checks the gateway's certificate would refuse it`, {
            position,
            hint: `import the CA's reply for that key pair (keytool -importcert -alias ${entry.alias}), or put the certificate in force back; it is served until then (a self-signed certificate meant to be served is taken at a restart)`,
          }),
        );
      }
    }
    return problems;
  });
}

/** Which keystore entry serves each host name of each TLS address of `state`, in listener order. */
function servedCertificates(state: State): ServedCertificate[] {
  return state.listeners.flatMap((l) => (l.tls !== undefined ? servedBy(l.where, l.tls.entries) : []));
}

/** A listener a reload cannot give its address, where the new configuration asks for it, as a bind failure says. */
function restartNeeded(l: Listener, problem: string): GatewayError {
  const routes = l.options.routes;
  const wanted = routes.map((r) => `${r.accept.uri} of service "${r.service.config.name}"`).join(', ');
  return new GatewayError('GW_ERR_RELOAD', `${problem}: that needs a restart`, { position: routes[0]?.accept.position, hint: wanted === '' ? undefined : `wanted by ${wanted}` });
}

/** An accept as its service's: the same URI under another service is another accept for the clients on it. */
function acceptOf(service: string, uri: string): string {
  return `${service}\n${uri}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class Gateway {
  #state: State;
  readonly #sessions: SessionRegistry;
  readonly #log: Logger;
  readonly #drainTimeoutMs: number;
  readonly #metrics: GatewayMetrics;
  readonly #management: ManagementSource;
  /** With `--workers`, this process's worker number, which a reload prepares its listeners with again. */
  readonly worker: number | undefined;
  readonly #stopWatching: (() => void)[] = [];
  /** The CRLs each TLS listener with ssl.crl serves with now, by its index in the state: what a rebuild takes. */
  #crlsInForce = new Map<number, LoadedCrls>();
  #lifecycle: LifecycleState = 'prepared';
  /** The one stop in progress or done, which every caller of stop() is given. */
  #stopping: Promise<void> | undefined;
  #draining: Promise<void> | undefined;
  /** Closes in progress, spread over time (a drain, accepts removed by a reload); a stop cancels them. */
  readonly #spreads = new Set<Spread>();
  /** Service instances replaced by a reload that still serve connections. */
  readonly #retiring = new Set<Service>();
  /** Listeners whose address a reload removed, until their last connection is gone. */
  readonly #retiredListeners = new Set<Listener>();
  readonly #reloads = { success: 0, failure: 0 };
  #lastReload: ReloadRecord | undefined;
  readonly #policyCloses = new Map<PolicyRule, number>();

  private constructor(state: State, sessions: SessionRegistry, deps: GatewayDependencies) {
    this.#state = state;
    this.#sessions = sessions;
    this.#log = deps.log;
    this.#drainTimeoutMs = deps.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.#metrics = deps.metrics ?? NO_METRICS;
    this.worker = deps.worker;
    this.#management = deps.management ?? managementSource(() => this, sessions, this.#metrics, deps.worker !== undefined);
  }

  /**
   * Loads stores and builds every context, service and listener without binding anything. For a reload, `deps`
   * carries the running gateway's `metrics` and `sessions`, so that the new listeners and services count and
   * register where the old ones did.
   */
  static prepare(config: GatewayConfig, deps: GatewayDependencies): PrepareResult {
    const sessions = deps.sessions ?? new SessionRegistry();
    const metrics = deps.metrics ?? NO_METRICS;
    metrics.liveTraffic(() => sessions);
    // A management service reads the gateway prepared here, once it exists (a reload's reads the running one).
    let gateway: Gateway | undefined;
    const management = deps.management ?? managementSource(() => gateway, sessions, metrics, deps.worker !== undefined);
    const clientTrusts = deps.clientTrusts ?? (() => gateway?.clientTrusts() ?? []);
    const built = buildState(config, { ...deps, management, clientTrusts }, sessions);
    if (!built.ok) return built;
    gateway = new Gateway(built.state, sessions, { ...deps, management, clientTrusts });
    return { ok: true, gateway, warnings: built.warnings };
  }

  /**
   * The CRLs in force from `path`: the listener's on `where`, else another listener's that reads the same path (a
   * listener a reload adds or moves takes the CRLs on from it, not as the files stand). What a reload takes them on from.
   */
  crlsInForce(where: string, path: string): LoadedCrls | undefined {
    const watches = this.#state.crlWatches.filter((w) => w.path === path);
    const watch = watches.find((w) => this.#state.listeners[w.listenerIndex]?.where === where) ?? watches[0];
    return watch === undefined ? undefined : (this.#crlsInForce.get(watch.listenerIndex) ?? watch.crl);
  }

  /**
   * What every listener that verifies clients trusts now (its truststore and CRLs): what a realm's certificate
   * ticket is judged against on any listener, since its cookie goes to every port of its host.
   */
  clientTrusts(): TrustState[] {
    return this.#state.listeners.flatMap((l) => (l.trust === undefined ? [] : [l.trust]));
  }

  /** What management services read and act on: this gateway, whatever state a reload has put in place. */
  get management(): ManagementSource {
    return this.#management;
  }

  /** Every server certificate, the trusted CA and the CRL that expire first, as loaded now. */
  certificateReport(): CertificateReport {
    const c = this.#state.certificates;
    return certificateReport(c.keystore, c.truststore, c.crls.flat(), this.servedCertificates());
  }

  /** Which keystore entry serves each host name of each TLS address. */
  servedCertificates(): ServedCertificate[] {
    return servedCertificates(this.#state);
  }

  /**
   * Says, for each host name a renewal not valid yet will take over (upcomingEntries), which and from when: what the
   * keystore holds ahead of its time is otherwise seen only when it is served.
   */
  #logUpcomingCertificates(): void {
    for (const source of this.#state.tlsSources) {
      const listener = this.#state.listeners[source.listenerIndex] as Listener;
      if (listener.tls === undefined) continue;
      for (const { host, entry, from } of upcomingEntries(source.settings, listener.tls.entries)) {
        const [s] = servedBy(listener.where, new Map([[host, entry]]));
        if (s === undefined) continue;
        const at = new Date(from).toISOString();
        this.#log.info({ event: 'certificate-upcoming', ...s, validFrom: at }, `  ${s.host} on ${s.address}: ${describeServed(s)} is served from ${at}, when it becomes valid`);
      }
    }
  }

  /**
   * Says which keystore entry serves each host name: all of them at start-up, and afterwards those that changed (a
   * renewal taken, or another entry chosen), with the one it replaced and, when given, `because` why.
   */
  #logServedCertificates(before: readonly ServedCertificate[] | undefined, because?: string): void {
    const was = new Map((before ?? []).map((s) => [`${s.address} ${s.host}`, s]));
    for (const s of this.servedCertificates()) {
      const old = was.get(`${s.address} ${s.host}`);
      if (old !== undefined && sameServed(old, s)) continue;
      const replaced = old === undefined ? '' : ` in place of entry "${old.alias}" (serial ${old.serial})`;
      this.#log.info({ event: 'certificate', ...s }, `  ${s.host} on ${s.address}: ${describeServed(s)}${replaced}${because === undefined ? '' : `: ${because}`}`);
    }
  }

  /** The services in force with their accepts and whether they take clients now. */
  serviceOverview(): ServiceOverview[] {
    return this.#state.services.map((s) => ({ name: s.config.name, type: s.config.type, accepts: s.config.accepts.map((a) => a.uri), available: s.available }));
  }

  /** Each listening address, as bound (port 0 in the configuration shows the port chosen), and whether it accepts. */
  listenerOverview(): ListenerOverview[] {
    return this.#state.listeners.map((l) => ({ address: l.listening ? boundAddress(l.address) : l.where, listening: l.listening }));
  }

  get config(): GatewayConfig {
    return this.#state.config;
  }

  /**
   * Every client a service holds, from admission to close, with its identity, addresses, live byte counts and a
   * close(code, reason). The same registry for the gateway's whole life, across reloads.
   */
  get sessions(): SessionRegistry {
    return this.#sessions;
  }

  /** Reloads so far by result (`success`, `failure`), and the last one. */
  get reloads(): { readonly success: number; readonly failure: number; readonly last: ReloadRecord | undefined } {
    return { success: this.#reloads.success, failure: this.#reloads.failure, last: this.#lastReload };
  }

  /** Live connections closed because the rules in force refused them, by rule. */
  get policyCloses(): ReadonlyMap<PolicyRule, number> {
    return this.#policyCloses;
  }

  /** Where this gateway counts what it does: a reload prepares its new configuration with the same. */
  get metrics(): GatewayMetrics {
    return this.#metrics;
  }

  /** How long a drain spreads its closes over. */
  get drainTimeoutMs(): number {
    return this.#drainTimeoutMs;
  }

  /**
   * Why the gateway should not be sent new clients (a readiness probe): empty when it is started, every listener is
   * bound and it is not draining. Each reason is one short line naming what is wrong. A service unavailable (a proxy
   * whose backend is down takes its accepts down, see ProxyService.available) counts only when it is named in
   * `services`: a backend that every gateway shares would otherwise take every gateway out of its load balancer at
   * once, and with them the services that still work.
   */
  readiness(services: readonly string[] = []): string[] {
    const reasons: string[] = [];
    if (this.#lifecycle !== 'started') reasons.push(`gateway is ${this.#lifecycle}`);
    // A draining or stopped gateway has closed its listeners on purpose: that is said once, above.
    else for (const l of this.#state.listeners) if (!l.listening) reasons.push(`listener ${l.where} is not bound`);
    for (const name of services) {
      const service = this.#state.services.find((s) => s.config.name === name);
      if (service === undefined) reasons.push(`no service "${name}"`);
      else if (!service.available) reasons.push(`service "${name}" is unavailable`);
    }
    return reasons;
  }

  /**
   * Binds every listener; if any cannot bind, the ones that did are closed again and every failure thrown (one
   * GW_ERR_BIND for each address, see bindAll).
   */
  async start(): Promise<BoundAccept[]> {
    if (this.#lifecycle !== 'prepared') throw new GatewayError('GW_ERR_STATE', `cannot start a gateway that is ${this.#lifecycle}`);
    this.#lifecycle = 'starting';
    const frameReader = readFramesInPlace();
    if (frameReader !== undefined) this.#log.warn(`WebSocket frames are read by ws's own reader, at its higher cost per message: the in-place reader is not installed (${frameReader})`);
    this.#log.info('Starting services');
    const { listeners, services } = this.#state;
    try {
      await bindAll(listeners);
    } catch (e) {
      this.#lifecycle = 'stopped';
      await Promise.all(services.map((s) => s.stop()));
      for (const l of listeners) l.destroyConnections();
      throw e;
    }
    const bound = listeners.flatMap((l) => this.#announce(l));
    this.#logServedCertificates(undefined);
    this.#logUpcomingCertificates();
    this.#lifecycle = 'started';
    this.#reportCertificates();
    for (const s of services) s.start?.();
    this.#watchTls();
    this.#sessions.onCertificateEnd((ended, now) => this.#certificatesEnded(ended, now));
    this.#log.info('Started services');
    return bound;
  }

  #announce(listener: Listener): BoundAccept[] {
    const address = listener.address;
    return listener.routes.map((r) => {
      const b = { service: r.service.config.name, accept: r.accept.uri, address: address.address, port: address.port };
      this.#log.info({ event: 'listening', ...b }, `  ${r.accept.uri} (${address.address}:${address.port})`);
      return b;
    });
  }

  /**
   * Swaps in the state `next` was prepared with (see the header), or throws a GatewayError and changes nothing.
   * Either way the outcome is counted in `reloads`. `next` is used up: only its parts live on.
   */
  async reload(next: Gateway): Promise<BoundAccept[]> {
    try {
      const bound = await this.#swap(next);
      this.#recordReload('success', undefined);
      return bound;
    } catch (e) {
      this.#recordReload('failure', e);
      throw e;
    }
  }

  /** What each listening address of this configuration serves from a connection's first byte. */
  listenerModes(): Map<string, ListenerMode> {
    return new Map(this.#state.listeners.map((l) => [l.where, l.mode]));
  }

  /**
   * The listeners of this configuration that would serve an address otherwise than `served` says it is served: for
   * the primary of `--workers`, whose workers may each run an older configuration, so that no two of them ever serve
   * one address two ways.
   */
  modeProblems(served: ReadonlyMap<string, ListenerMode>): GatewayError[] {
    return this.#state.listeners.flatMap((l) => {
      const was = served.get(l.where);
      const problem = was === undefined ? undefined : modeChange(l.where, was, l.mode);
      return problem === undefined ? [] : [restartNeeded(l, problem)];
    });
  }

  /** Counts a reload whose configuration could not be prepared (nothing was swapped). */
  reloadFailed(err: unknown): void {
    this.#recordReload('failure', err);
  }

  #recordReload(result: 'success' | 'failure', err: unknown): void {
    this.#reloads[result]++;
    this.#metrics.reloaded(result);
    this.#lastReload = { at: Date.now(), result, error: err === undefined ? undefined : errorText(err) };
  }

  async #swap(nextGateway: Gateway): Promise<BoundAccept[]> {
    if (this.#lifecycle !== 'started') throw new GatewayError('GW_ERR_RELOAD', `cannot reload a gateway that is ${this.#lifecycle}`);
    if (nextGateway.#lifecycle !== 'prepared') throw new GatewayError('GW_ERR_STATE', 'a reload needs a gateway that was prepared and never started');
    nextGateway.#lifecycle = 'stopped';
    const next = nextGateway.#state;
    const current = this.#state;
    // Read before the listeners kept are given the new options.
    const served = servedCertificates(current);
    const problems = [...incompatibilities(current, next), ...certificateRegressions(current, next)];
    if (problems.length > 0) throw problems.length === 1 ? problems[0]! : new AggregateGatewayError('GW_ERR_RELOAD', problems);
    const byAddress = new Map(current.listeners.map((l) => [l.where, l]));
    /** Each listener of `next` → the bound one that takes its place. */
    const kept = new Map<Listener, Listener>();
    const added: Listener[] = [];
    for (const l of next.listeners) {
      const bound = byAddress.get(l.where);
      if (bound) kept.set(l, bound);
      else added.push(l);
    }

    // New addresses are bound before anything changes, so that a failed bind leaves the old state whole.
    // The listeners judge certificate tickets against this gateway's listeners from now on, not the ones prepared with them.
    const trusts = (): TrustState[] => this.clientTrusts();
    for (const l of added) l.reconfigure({ ...l.options, sessions: this.#sessions, trusts });
    await bindAll(added);
    if (this.#lifecycle !== 'started') {
      await Promise.all(added.map((l) => l.close()));
      throw new GatewayError('GW_ERR_RELOAD', `the gateway began ${this.#lifecycle} during the reload`);
    }

    // From here on nothing throws: the new state is swapped in whole.
    for (const [l, boundListener] of kept) boundListener.reconfigure({ ...l.options, sessions: this.#sessions, trusts });
    const keptSet = new Set(kept.values());
    const removed = current.listeners.filter((l) => !keptSet.has(l));
    // In the order of `next`, so that each CRL watch's listenerIndex stays right.
    this.#state = { ...next, listeners: next.listeners.map((l) => kept.get(l) ?? l) };
    this.#reportCertificates();
    const bound = added.flatMap((l) => this.#announce(l));
    this.#logServedCertificates(served);
    this.#logUpcomingCertificates();
    for (const s of next.services) s.start?.();
    const prepared = this.#stopPreparing(current.services, 'service reconfigured');
    if (prepared > 0) {
      this.#log.info({ preparedConnections: prepared }, `${prepared} idle prepared connection${prepared === 1 ? '' : 's'} of the replaced configuration: closing ${prepared === 1 ? 'it' : 'them'} (1001, or a FIN)`);
    }
    for (const s of current.services) this.#retire(s);
    this.#watchTls();

    for (const l of removed) {
      this.#retiredListeners.add(l);
      void l.close();
      this.#log.info({ event: 'unbound', address: l.where }, `  ${l.where} no longer configured: not accepting`);
    }
    // Sessions whose accept is gone from their service, and those on an address no longer bound (an accept moved
    // to another address by a *.bind option keeps its URI): each is closed gently, before what is left of it is
    // destroyed. An accept is its service's (by name): one another service took over is gone for its old clients.
    const accepts = new Set(next.config.services.flatMap((s) => s.accepts.map((a) => acceptOf(s.name, a.uri))));
    const onRemoved = new Set(removed.flatMap((l) => l.sessions()));
    const orphans = [...this.#sessions].filter((s) => !accepts.has(acceptOf(s.serviceName, s.accept)) || onRemoved.has(s));
    if (orphans.length > 0) {
      this.#log.info({ connections: orphans.length, drainTimeoutMs: this.#drainTimeoutMs }, `${orphans.length} connection${orphans.length === 1 ? '' : 's'} on accepts their service no longer has, or on addresses no longer configured: closing them (1001) over ${this.#drainTimeoutMs / 1000} s`);
    }
    this.#closeSpread(orphans, 'accept removed', () => {
      for (const l of removed) {
        l.destroyConnections();
        this.#retiredListeners.delete(l);
      }
    });
    // Those still draining hold sessions of their own; the tickets among them are judged against the new trust too.
    this.#enforce([...this.#state.listeners.flatMap((l) => l.rejudge()), ...[...this.#retiredListeners].flatMap((l) => l.rejudge({ ticketsOnly: true }))]);
    return bound;
  }

  /**
   * Closes the prepared connections of `services` nobody took (1001 with `reason`, or a FIN); stop() waits for them.
   * Returns how many.
   */
  #stopPreparing(services: readonly Service[], reason: string): number {
    let closing = 0;
    for (const s of services) closing += s.stopPreparing?.(reason) ?? 0;
    return closing;
  }

  /**
   * A service instance replaced by a reload takes no new client: its prepared connections are closed at once, and
   * what it runs for itself stops once it serves nobody. It is not stopped: a stopped service takes its clients'
   * closes for its own, and a client whose upgrade was under way at the reload still comes to it (stop() finds it
   * through its session).
   */
  #retire(service: Service): void {
    this.#retiring.add(service);
    this.#sessions.whenEmpty(service, () => {
      if (this.#retiring.delete(service)) service.retire?.();
    });
  }

  /**
   * Judges again the sessions whose client certificate (or a CA of its chain) has just ended, as a reload or a CRL
   * change judges every session: those the rules now refuse are closed.
   */
  #certificatesEnded(ended: readonly Session[], now: number): void {
    const only = new Set(ended);
    this.#enforce([...this.#state.listeners, ...this.#retiredListeners].flatMap((l) => l.rejudge({ only, now })));
  }

  /** Closes live sessions that the rules in force refuse (1008), one log line each, counted by rule. */
  #enforce(refusals: readonly LiveRefusal[]): void {
    for (const { session, rule, reason } of refusals) {
      const id = session.identity;
      this.#log.warn(
        {
          code: 'GW_ERR_SESSION_CLOSED',
          conn: session.id,
          service: session.serviceName,
          downstream: `${session.downstreamAddress}:${session.downstreamPort}`,
          rule,
          reason,
          ...(id?.presented ? { subject: id.subject, fingerprint: id.fingerprint256 } : {}),
        },
        `live connection closed (1008): ${rule}: ${reason}`,
      );
      this.#policyCloses.set(rule, (this.#policyCloses.get(rule) ?? 0) + 1);
      this.#metrics.policyClosed(rule);
      session.close(1008, closeReason(POLICY_CLOSE_REASONS[rule]));
    }
  }

  /**
   * Closes `sessions` with 1001, spread over the drain timeout; `done` runs once they are all gone, or a close grace
   * after the timeout (what is left then is dropped by whoever called).
   */
  #closeSpread(sessions: readonly Session[], reason: string, done: () => void): Promise<void> {
    return new Promise((resolve) => {
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearTimeout(deadline);
        this.#spreads.delete(closing);
        done();
        resolve();
      };
      const closing = spread(sessions, this.#drainTimeoutMs, (s) => s.close(1001, reason));
      this.#spreads.add(closing);
      const deadline = setTimeout(finish, this.#drainTimeoutMs + SESSION_CLOSE_GRACE_MS);
      deadline.unref();
      let left = sessions.filter((s) => this.#sessions.has(s)).length;
      if (left === 0) return finish();
      for (const s of sessions) {
        if (!this.#sessions.has(s)) continue;
        this.#sessions.whenReleased(s, () => {
          if (--left === 0) finish();
        });
      }
    });
  }

  #reportCertificates(): void {
    this.#metrics.certificates(this.certificateReport());
  }

  /**
   * Starts re-reading each listener's CRL when its file changes, and choosing the served certificates again when one
   * of the keystore starts or ends (stopping the watches of a previous state).
   */
  #watchTls(): void {
    for (const stop of this.#stopWatching.splice(0)) stop();
    this.#crlsInForce = new Map(this.#state.crlWatches.map((w) => [w.listenerIndex, w.crl]));
    for (const w of this.#state.crlWatches) this.#stopWatching.push(this.#watchCrl(w));
    const keystore = this.#state.tlsSources[0]?.settings.keystore;
    if (keystore !== undefined) this.#stopWatching.push(watchValidityChanges(keystore.keys, this.#state.chosenAt, () => this.#chooseServedAgain()));
  }

  /**
   * A certificate of the keystore has started or ended its validity: each host name of a TLS listener that the
   * choice now gives another certificate valid now (select.ts prefers one valid now) is served with it, so a renewal
   * imported before its start date is served from that date, and an expired certificate gives way to a valid one,
   * without a reload. Only for one valid now: an expired or not yet valid certificate in place of another would be no
   * better, and every change costs the listener's clients a full handshake once (the session ticket keys follow the
   * certificates). The listener keeps its trust and CRLs; connections already open keep their certificate; a
   * listener that cannot be rebuilt keeps serving what it did.
   */
  #chooseServedAgain(): void {
    const served = this.servedCertificates();
    const now = Date.now();
    let changed = 0;
    for (const source of this.#state.tlsSources) {
      const listener = this.#state.listeners[source.listenerIndex] as Listener;
      const current = listener.tls;
      if (current === undefined) continue;
      const entries = servedChoice(source.settings, current.entries, now);
      if (sameEntries(current.entries, entries)) continue;
      try {
        listener.updateTls(prepareServerTls({ ...source.settings, crl: this.#crlsInForce.get(source.listenerIndex) }, { entries, trust: current.trust }));
        changed++;
      } catch (err) {
        this.#log.error({ err, code: 'GW_ERR_TLS_CONTEXT', listener: listener.where }, `serving the certificates chosen again failed: ${listener.where} keeps serving those it had`);
      }
    }
    this.#log.debug({ listeners: changed }, 'a certificate of the keystore started or ended its validity: served certificates chosen again');
    if (changed === 0) return;
    this.#logServedCertificates(served, 'a certificate of the keystore has become valid, or the one served has ended');
    this.#logUpcomingCertificates();
    this.#reportCertificates();
  }

  /**
   * Re-reads a CRL when its file changes, rebuilds the listener's TLS contexts with it and closes the live
   * connections it now revokes. A file that does not load, or contexts that cannot be built, leave the listener
   * serving with the CRL it had. The CRLs in force are warned about when they pass their nextUpdate (crl-expiry.ts).
   */
  #watchCrl(w: CrlWatch): () => void {
    const listener = this.#state.listeners[w.listenerIndex] as Listener;
    const certificates = this.#state.certificates;
    const expiry = (crl: LoadedCrls): (() => void) =>
      watchCrlExpiry(crl, (c) =>
        this.#log.warn(
          { code: 'GW_ERR_TLS_WARNING', crl: w.path, listener: listener.where, issuer: c.issuer, nextUpdate: c.nextUpdate },
          `the CRL of "${c.issuer}" (${c.file}) expired at ${c.nextUpdate ?? ''}: new clients of that CA are refused (CRL_HAS_EXPIRED) until a fresh CRL is installed (for ${listener.where})`,
        ),
      );
    let stopExpiry = expiry(w.crl);
    const stopWatching = watchCrl(
      w.path,
      w.crl,
      (crl) => {
        try {
          // The served certificates stay, unless one valid since is preferred (servedChoice).
          const current = listener.tls;
          const prepared = prepareServerTls({ ...w.settings, crl }, current === undefined ? undefined : { entries: servedChoice(w.settings, current.entries) });
          const served = this.servedCertificates();
          listener.updateTls(prepared);
          this.#crlsInForce.set(w.listenerIndex, crl);
          this.#logServedCertificates(served);
          stopExpiry();
          stopExpiry = expiry(crl);
          certificates.crls[w.listenerIndex] = crl.summary;
          if (this.#state.certificates === certificates) this.#reportCertificates();
          for (const warning of prepared.warnings) this.#log.warn({ code: 'GW_ERR_TLS_WARNING', crl: w.path, listener: listener.where }, warning);
          this.#log.info({ crl: w.path, listener: listener.where, crls: crl.summary.length, revoked: crl.summary.reduce((n, c) => n + c.revoked, 0) }, `CRL reloaded: ${w.path} (for ${listener.where})`);
          this.#metrics.crlReloaded(listener.where, crl.incomplete === true ? 'partial' : 'success');
        } catch (err) {
          this.#crlReloadFailed(w.path, listener.where, err);
          return false;
        }
        // A certificate ticket is judged against every listener's trust, so those shown on other addresses too.
        this.#enforce([...this.#state.listeners, ...this.#retiredListeners].flatMap((l) => (l === listener ? l.rejudge() : l.rejudge({ ticketsOnly: true }))));
        return true;
      },
      (err) => this.#crlReloadFailed(w.path, listener.where, err),
      { trustAnchors: w.anchors, readAt: w.readAt },
    );
    return () => {
      stopWatching();
      stopExpiry();
    };
  }

  /**
   * Whether the file does not load or OpenSSL refuses what it holds, the settings built before did not fail: the
   * CRL did, hence its code either way.
   */
  #crlReloadFailed(path: string, where: string, err: unknown): void {
    // Each listening address watches its own CRLs: listeners that share a file each say so, for their address.
    this.#log.error({ crl: path, listener: where, code: 'GW_ERR_TLS_CRL', reason: errorText(err) }, `CRL reload failed, keeping the previous one: ${path} (for ${where})`);
    this.#metrics.crlReloaded(where, 'failure');
  }

  /**
   * Drains (SIGTERM): stops accepting (readiness() says so at once, on the management accepts, which keep answering
   * until the stop): takes what is queued on the ports and closes them, then closes every connection with 1001
   * spread over the drain timeout so that clients do not all reconnect elsewhere in the same second, and serves the
   * clients still on their way in meanwhile; then stops. Every call returns the same promise; stop() during a drain
   * closes what is left at once.
   */
  drain(): Promise<void> {
    if (this.#lifecycle !== 'started') return this.#draining ?? this.stop();
    this.#lifecycle = 'draining';
    for (const stop of this.#stopWatching.splice(0)) stop();
    // A listener of management services only keeps answering (/readyz says 503 now) until the stop; the others take
    // no new connection but finish the handshakes already under way, so that no client that had connected is lost.
    const draining = this.#state.listeners.filter((l) => !l.routes.every((r) => r.service.config.type === 'management.http'));
    const ports = draining.map((l) => l.stopAccepting());
    // Prepared connections serve no client: nobody would reconnect at once, so they are closed now, not spread.
    const prepared = this.#stopPreparing(this.#state.services, 'gateway shutting down');
    const andPrepared = prepared === 0 ? '' : `, and ${prepared} idle prepared connection${prepared === 1 ? '' : 's'} to backends now`;
    // The line says the ports are closed, so it waits for them (a turn or two, Listener.stopAccepting).
    const spread = Promise.all(ports).then(() => {
      if (this.#lifecycle !== 'draining') return; // stop() came meanwhile, and closes everything at once
      const sessions = [...this.#sessions];
      this.#log.info(
        { connections: sessions.length, preparedConnections: prepared, drainTimeoutMs: this.#drainTimeoutMs },
        `Draining: not accepting; closing ${sessions.length} connection${sessions.length === 1 ? '' : 's'} (1001) over ${this.#drainTimeoutMs / 1000} s${andPrepared}`,
      );
      // However few sessions there are to close, the clients still on their way in (taken from a port's queue, or in
      // their handshake) are served before the stop, rather than answered 503: for the drain timeout at most.
      return Promise.all([this.#closeSpread(sessions, 'gateway shutting down', () => undefined), this.#handshakesDone(draining)]);
    });
    this.#draining = spread.then(() => this.stop());
    return this.#draining;
  }

  /** Settles once no connection on `listeners` is on its way to a service, or the drain timeout has passed. */
  #handshakesDone(listeners: readonly Listener[]): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.#drainTimeoutMs);
      timer.unref();
      void Promise.all(listeners.map((l) => l.handshakesDone())).then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Closes every connection (1001 to WebSocket clients) and every listener. Every call returns the same promise,
   * settled when the stop is complete: whoever awaits stop() may go on to exit or rebind the port, so a second
   * caller must not be let go while the first call is still closing connections.
   */
  stop(): Promise<void> {
    // A start that failed has closed everything already.
    this.#stopping ??= this.#lifecycle === 'stopped' ? Promise.resolve() : this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#lifecycle = 'stopping';
    for (const stop of this.#stopWatching.splice(0)) stop();
    for (const s of this.#spreads) s.cancel();
    const listeners = [...this.#state.listeners, ...this.#retiredListeners];
    // A retired instance that a client reached after its last session had closed is known by that client's session.
    const services = new Set([...this.#state.services, ...this.#retiring, ...[...this.#sessions].map((s) => s.service)]);
    this.#retiring.clear();
    // Stop accepting first, so no client is upgraded into a service that is closing its connections.
    const closing = Promise.all(listeners.map((l) => l.close()));
    await Promise.all([...services].map((s) => s.stop()));
    for (const l of listeners) l.destroyConnections();
    await closing;
    this.#sessions.clear();
    this.#lifecycle = 'stopped';
    this.#log.info('Stopped server');
  }
}

