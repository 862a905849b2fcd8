/**
 * The gateway's metrics in a prom-client registry of their own (never prom-client's global one, so that two
 * gateways in one test process count apart). Every name is documented in docs/metrics.md and is public API.
 *
 * Cost on the hot path: a listener or service is given its meter once. Counts are plain numbers on that meter and
 * are copied into the prom-client metrics when they are scraped (`collect`), so opening or closing a connection
 * costs a few additions and two histogram observations, a refusal one map read, and a message nothing at all
 * (prom-client hashes the label values on every `inc` of a counter, a few hundred nanoseconds each). Bytes are
 * added when a connection closes, plus, at scrape time, what the live connections have copied so far (when a
 * source of live byte counts is given), so a long-lived connection shows up before it ends.
 *
 * With `--workers`, each worker keeps its own registry and the primary sums them (cluster.ts); gauges that every
 * worker reports alike (certificate lifetimes) are aggregated with `min` rather than summed.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { metricsReader } from './cluster.js';
import { RecentRefusals, type RecentRefusal } from './recent-refusals.js';
import type { CertificateReport, GatewayMetrics, ListenerMeter, LiveTraffic, RefusalReason, ServiceMeter } from './types.js';

export interface PrometheusOptions {
  /** Adds prom-client's process and Node.js metrics (`process_*`, `nodejs_*`). Default true. */
  readonly processMetrics?: boolean;
  /** In a `--workers` worker, text() answers with every worker's metrics summed by the primary (cluster.ts). */
  readonly cluster?: boolean;
}

const DURATION_BUCKETS_S = [1, 10, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600, 7 * 24 * 3600];
const CONNECT_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const SECONDS_PER_MS = 1 / 1000;

/** What one service has counted since start. */
interface ServiceCounts {
  opened: number;
  open: number;
  downstreamToUpstream: number;
  upstreamToDownstream: number;
  readonly connectFailures: Map<string, number>;
  readonly closes: Map<string, number>;
  /** HTTP requests answered, by status code. */
  readonly requests: Map<number, number>;
}

/** What one listening address has counted since start; refusals keyed by reason and service. */
interface ListenerCounts {
  readonly refusals: Map<string, { readonly reason: RefusalReason; readonly service: string; count: number }>;
  readonly handshakeFailures: Map<string, number>;
  fullHandshakes: number;
  resumedHandshakes: number;
}

/**
 * A counter read at each scrape from what each owner (a service, a listening address) counted by key in a plain
 * map, so that counting costs no label lookup.
 */
function keyedCounter<C>(
  registers: Registry[],
  owners: ReadonlyMap<string, C>,
  name: string,
  help: string,
  labelNames: [string, string],
  counts: (owner: C) => ReadonlyMap<string | number, number>,
): void {
  new Counter({
    name,
    help,
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const [owner, c] of owners) for (const [key, n] of counts(c)) this.labels(owner, String(key)).inc(n);
    },
  });
}

export class PrometheusMetrics implements GatewayMetrics {
  readonly registry = new Registry();
  readonly #recent = new RecentRefusals();
  #read: () => Promise<string>;
  readonly #durations: Histogram<'service'>;
  readonly #connectTime: Histogram<'service'>;
  readonly #reloads: Counter<'result'>;
  readonly #crlReloads: Counter<'listener' | 'result'>;
  readonly #policyCloses: Counter<'reason'>;
  readonly #serviceCounts = new Map<string, ServiceCounts>();
  readonly #listenerCounts = new Map<string, ListenerCounts>();
  readonly #services = new Map<string, ServiceMeter>();
  readonly #listeners = new Map<string, ListenerMeter>();
  #certificates: CertificateReport = { server: [], soonestClientCa: undefined, soonestCrl: undefined };
  #liveTraffic: LiveTraffic | undefined;

  constructor(options: PrometheusOptions = {}) {
    const registers = [this.registry];
    const services = this.#serviceCounts;
    const listeners = this.#listenerCounts;
    new Gauge({
      name: 'gateway_connections_open',
      help: 'Connections a service holds now.',
      labelNames: ['service'],
      registers,
      collect() {
        for (const [service, c] of services) this.labels(service).set(c.open);
      },
    });
    new Counter({
      name: 'gateway_connections_opened_total',
      help: 'Connections handed to a service.',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const [service, c] of services) this.labels(service).inc(c.opened);
      },
    });
    keyedCounter(registers, services, 'gateway_connections_closed_total', 'Connections a service held that closed, by cause: a side closed, lost or failed, inactivity, or the gateway.', ['service', 'cause'], (c) => c.closes);
    keyedCounter(registers, services, 'gateway_http_requests_total', 'HTTP requests a service was handed (pages, management calls, redirects), by the status code they were answered with.', ['service', 'code'], (c) => c.requests);
    this.#durations = new Histogram({
      name: 'gateway_connection_duration_seconds',
      help: 'How long closed connections lasted, from the upgrade (or TCP accept on tcp:// and ssl://) to the close.',
      labelNames: ['service'],
      buckets: DURATION_BUCKETS_S,
      registers,
    });
    const live = (): LiveTraffic | undefined => this.#liveTraffic;
    /** What was last reported, by service and direction: the counter never goes back (see collect). */
    const reported = new Map<string, number>();
    new Counter({
      name: 'gateway_bytes_total',
      help: 'Payload bytes copied, by service and direction (downstream_to_upstream: from clients).',
      labelNames: ['service', 'direction'],
      registers,
      collect() {
        const totals = new Map<string, { downstreamToUpstream: number; upstreamToDownstream: number }>();
        for (const [service, c] of services) totals.set(service, { downstreamToUpstream: c.downstreamToUpstream, upstreamToDownstream: c.upstreamToDownstream });
        for (const s of live()?.() ?? []) {
          const t = totals.get(s.serviceName) ?? { downstreamToUpstream: 0, upstreamToDownstream: 0 };
          t.downstreamToUpstream += s.traffic.bytesIn;
          t.upstreamToDownstream += s.traffic.bytesOut;
          totals.set(s.serviceName, t);
        }
        // A closing connection leaves the live sessions a moment before its service counts it closed: in between
        // its bytes are in neither sum. A counter must not go back, so a lower sum repeats what was reported.
        this.reset();
        const report = (service: string, direction: string, value: number): void => {
          const key = `${service} ${direction}`;
          const shown = Math.max(value, reported.get(key) ?? 0);
          reported.set(key, shown);
          this.labels(service, direction).inc(shown);
        };
        for (const [service, t] of totals) {
          report(service, 'downstream_to_upstream', t.downstreamToUpstream);
          report(service, 'upstream_to_downstream', t.upstreamToDownstream);
        }
      },
    });
    new Counter({
      name: 'gateway_refusals_total',
      help: 'Clients refused, by listening address, service (empty before routing on an address of several services) and reason.',
      labelNames: ['listener', 'service', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const [listener, l] of listeners) for (const r of l.refusals.values()) this.labels(listener, r.service, r.reason).inc(r.count);
      },
    });
    keyedCounter(registers, listeners, 'gateway_tls_handshake_failures_total', 'TLS handshakes that did not complete, by listening address and OpenSSL or Node code.', ['listener', 'reason'], (c) => c.handshakeFailures);
    new Counter({
      name: 'gateway_tls_handshakes_total',
      help: 'TLS handshakes completed, by listening address and whether they resumed a session (resumed="true").',
      labelNames: ['listener', 'resumed'],
      registers,
      collect() {
        this.reset();
        for (const [listener, l] of listeners) {
          // Both series from a listener's first handshake on (a rate of resumption of 0 is worth seeing), none for
          // one without TLS.
          if (l.fullHandshakes + l.resumedHandshakes === 0) continue;
          this.labels(listener, 'false').inc(l.fullHandshakes);
          this.labels(listener, 'true').inc(l.resumedHandshakes);
        }
      },
    });
    keyedCounter(registers, services, 'gateway_upstream_connect_failures_total', 'Backend connections that failed, by service and error code.', ['service', 'code'], (c) => c.connectFailures);
    this.#connectTime = new Histogram({
      name: 'gateway_upstream_connect_seconds',
      help: 'Time to connect a backend (TCP, TLS, and the WebSocket upgrade for ws:// and wss://).',
      labelNames: ['service'],
      buckets: CONNECT_BUCKETS_S,
      registers,
    });
    // With --workers every worker makes the same reload: across them it is counted once (the most any counted).
    this.#reloads = new Counter({ name: 'gateway_reloads_total', help: 'Configuration reloads, by result.', labelNames: ['result'], registers, aggregator: 'max' });
    this.#crlReloads = new Counter({
      name: 'gateway_crl_reloads_total',
      help: 'CRL re-reads after a change to a listener\'s ssl.crl files, by result (partial: a file skipped or a CA\'s old CRLs kept; failure: the CRLs in force stay).',
      labelNames: ['listener', 'result'],
      registers,
      aggregator: 'max',
    });
    this.#policyCloses = new Counter({
      name: 'gateway_policy_closes_total',
      help: 'Live connections closed (1008) because policy no longer admits them, by reason.',
      labelNames: ['reason'],
      registers,
    });
    const certificates = (): CertificateReport => this.#certificates;
    const secondsLeft = (until: Date): number => (until.getTime() - Date.now()) * SECONDS_PER_MS;
    new Gauge({
      name: 'gateway_certificate_expiry_seconds',
      help: 'Seconds until each server certificate expires (negative: expired).',
      labelNames: ['alias', 'subject'],
      aggregator: 'min',
      registers,
      collect() {
        this.reset();
        for (const c of certificates().server) this.labels(c.alias, c.subject).set(secondsLeft(c.validTo));
      },
    });
    new Gauge({
      name: 'gateway_client_ca_expiry_seconds',
      help: 'Seconds until the first trusted client CA certificate expires.',
      labelNames: ['subject'],
      aggregator: 'min',
      registers,
      collect() {
        this.reset();
        const ca = certificates().soonestClientCa;
        if (ca) this.labels(ca.subject).set(secondsLeft(ca.validTo));
      },
    });
    new Gauge({
      name: 'gateway_crl_next_update_seconds',
      help: 'Seconds until the first loaded CRL reaches its nextUpdate (negative: past it, and its clients are refused).',
      labelNames: ['issuer'],
      aggregator: 'min',
      registers,
      collect() {
        this.reset();
        const crl = certificates().soonestCrl;
        if (crl) this.labels(crl.issuer).set(secondsLeft(crl.nextUpdate));
      },
    });
    for (const result of ['success', 'failure'] as const) this.#reloads.labels(result);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.#read = options.cluster ? metricsReader(this.registry) : () => this.registry.metrics();
  }

  recentRefusals(): readonly RecentRefusal[] {
    return this.#recent.list();
  }

  liveTraffic(source: LiveTraffic): void {
    this.#liveTraffic = source;
  }

  listener(address: string): ListenerMeter {
    let meter = this.#listeners.get(address);
    if (meter) return meter;
    const counts: ListenerCounts = { refusals: new Map(), handshakeFailures: new Map(), fullHandshakes: 0, resumedHandshakes: 0 };
    this.#listenerCounts.set(address, counts);
    const recent = this.#recent;
    meter = {
      refused(reason, service, detail) {
        const key = service === undefined ? reason : `${reason} ${service}`;
        const entry = counts.refusals.get(key);
        if (entry) entry.count++;
        else counts.refusals.set(key, { reason, service: service ?? '', count: 1 });
        // Fields copied one by one: an object spread here cost microseconds per refusal (V8's slow clone path).
        recent.note({
          at: Date.now(),
          reason,
          listener: address,
          service,
          downstream: detail.downstream,
          message: detail.message,
          subject: detail.subject,
          fingerprint: detail.fingerprint,
        });
      },
      handshakeFailed(reason) {
        counts.handshakeFailures.set(reason, (counts.handshakeFailures.get(reason) ?? 0) + 1);
      },
      handshakeCompleted(resumed) {
        if (resumed) counts.resumedHandshakes++;
        else counts.fullHandshakes++;
      },
    };
    this.#listeners.set(address, meter);
    return meter;
  }

  service(name: string): ServiceMeter {
    let meter = this.#services.get(name);
    if (meter) return meter;
    const counts: ServiceCounts = { opened: 0, open: 0, downstreamToUpstream: 0, upstreamToDownstream: 0, connectFailures: new Map(), closes: new Map(), requests: new Map() };
    this.#serviceCounts.set(name, counts);
    const durations = this.#durations.labels(name);
    const connectTime = this.#connectTime.labels(name);
    meter = {
      opened() {
        counts.opened++;
        counts.open++;
      },
      closed(downstreamToUpstream, upstreamToDownstream, durationMs, cause) {
        counts.open--;
        counts.closes.set(cause, (counts.closes.get(cause) ?? 0) + 1);
        counts.downstreamToUpstream += downstreamToUpstream;
        counts.upstreamToDownstream += upstreamToDownstream;
        durations.observe(durationMs * SECONDS_PER_MS);
      },
      requested(status) {
        counts.requests.set(status, (counts.requests.get(status) ?? 0) + 1);
      },
      upstreamConnected(ms) {
        connectTime.observe(ms * SECONDS_PER_MS);
      },
      upstreamFailed(code) {
        counts.connectFailures.set(code, (counts.connectFailures.get(code) ?? 0) + 1);
      },
    };
    this.#services.set(name, meter);
    return meter;
  }

  certificates(report: CertificateReport): void {
    this.#certificates = report;
  }

  reloaded(result: 'success' | 'failure'): void {
    this.#reloads.labels(result).inc();
  }

  crlReloaded(listener: string, result: 'success' | 'partial' | 'failure'): void {
    this.#crlReloads.labels(listener, result).inc();
  }

  policyClosed(reason: string): void {
    this.#policyCloses.labels(reason).inc();
  }

  text(): Promise<string> {
    return this.#read();
  }
}
