/**
 * What the listener, the services and the gateway report about connections, as calls on small objects bound once
 * per listener or service (so a connection's path never looks a label up). The Prometheus implementation is in
 * prometheus.ts; `NO_METRICS` is for code run without a registry (`gateway check`, unit tests). This file is a
 * leaf: it imports nothing, so every room may report through it.
 */

import type { RecentRefusal } from './recent-refusals.js';

/**
 * Why a client was refused, in a bounded set of words (the `reason` label of `gateway_refusals_total`):
 * - `no_certificate`, `expired`, `unknown_ca`, `revoked`, `depth`, `certificate` (any other verification failure):
 *   the client certificate (`ssl.verify-client`, `ssl.crl`, `ssl.verify-depth`);
 * - `access`: an `access-constraint`; `origin`: a `cross-site-constraint`; `realm`: a realm's login;
 * - `limits`: `tcp.maximum.connections` or `tcp.maximum.connections.per.address`;
 * - `deadline`: `ws.handshake.timeout` expired before the upgrade;
 * - `tls_handshake`: the TLS handshake failed otherwise; `proxy_header`: a trusted peer sent a bad PROXY header;
 * - `not_found`: no service for the path; `unavailable`: the service is down while its backend recovers;
 *   `misdirected`: SNI and Host disagree (421); `bad_request`: a malformed request; `shutting_down`: the gateway
 *   has stopped accepting (a draining one still serves what it accepted); `upstream`: the backend could not be
 *   reached before the upgrade (502).
 */
export type RefusalReason =
  | 'no_certificate'
  | 'expired'
  | 'unknown_ca'
  | 'revoked'
  | 'depth'
  | 'certificate'
  | 'access'
  | 'origin'
  | 'realm'
  | 'limits'
  | 'deadline'
  | 'tls_handshake'
  | 'proxy_header'
  | 'not_found'
  | 'unavailable'
  | 'misdirected'
  | 'bad_request'
  | 'shutting_down'
  | 'upstream';

/** One refusal as the status page lists it. */
export interface RefusalDetail {
  /** The client as `address:port`. */
  readonly downstream: string;
  /** The words of the log line: `client certificate refused: CERT_HAS_EXPIRED: …`. */
  readonly message: string;
  /** The certificate's subject and SHA-256 fingerprint, when one was presented. */
  readonly subject?: string | undefined;
  readonly fingerprint?: string | undefined;
}

/** What one listening address reports; bound to its `host:port` once. */
export interface ListenerMeter {
  /** A client was refused; `service` when the refusal came after routing (or the address has one service). */
  refused(reason: RefusalReason, service: string | undefined, detail: RefusalDetail): void;
  /** A TLS handshake did not complete; `reason` is OpenSSL's or Node's code (`ECONNRESET`, `timeout`, …). */
  handshakeFailed(reason: string): void;
  /** A TLS handshake completed, full or resuming a session the client offered; the certificate is judged after. */
  handshakeCompleted(resumed: boolean): void;
}

/** What one service reports; bound to its name once, so opening and closing a connection costs no label lookup. */
export interface ServiceMeter {
  /** A client was handed to the service. */
  opened(): void;
  /**
   * That client's connection closed, with the payload bytes each way, how long it lasted and why, in a few words
   * (`downstream_closed`, `inactivity`, `gateway`, …: docs/metrics.md).
   */
  closed(bytesDownstreamToUpstream: number, bytesUpstreamToDownstream: number, durationMs: number, cause: string): void;
  /** An HTTP request the service was handed (a page, a management call) was answered with `status`. */
  requested(status: number): void;
  /** A backend connection was made in `ms` milliseconds. */
  upstreamConnected(ms: number): void;
  /** A backend connection failed; `code` is the GatewayError's (`GW_ERR_UPSTREAM_CONNECT`, …). */
  upstreamFailed(code: string): void;
}

/** The certificates whose remaining lifetime is exported; replaced whole whenever the stores are (re)loaded. */
export interface CertificateReport {
  /**
   * The leaf of every key entry of the keystore; `serial` (hex, as OpenSSL prints it) tells a renewal from the
   * certificate it replaced, and `serves` says which host names on which addresses (`host on address`) it serves.
   */
  readonly server: readonly { readonly alias: string; readonly subject: string; readonly serial: string; readonly validTo: Date; readonly serves: readonly string[] }[];
  /** The trusted CA certificate that expires first, if the truststore holds any. */
  readonly soonestClientCa: { readonly subject: string; readonly validTo: Date } | undefined;
  /** The loaded CRL whose nextUpdate comes first, if any CRL is loaded. */
  readonly soonestCrl: { readonly issuer: string; readonly nextUpdate: Date } | undefined;
}

/** The live connections' byte counts so far, read when the metrics are scraped. */
export type LiveTraffic = () => Iterable<{ readonly serviceName: string; readonly traffic: { readonly bytesIn: number; readonly bytesOut: number } }>;

export interface GatewayMetrics {
  /** Where the bytes of connections still open are read (the gateway's live sessions). */
  liveTraffic(source: LiveTraffic): void;
  listener(address: string): ListenerMeter;
  service(name: string): ServiceMeter;
  certificates(report: CertificateReport): void;
  /** A reload finished: `success` or `failure`. */
  reloaded(result: 'success' | 'failure'): void;
  /**
   * A CRL file of `listener` changed and was read again: `success`; `partial` (a file skipped, or a CA's CRLs in force
   * kept in place of what the files hold); or `failure` (the CRLs in force stay).
   */
  crlReloaded(listener: string, result: 'success' | 'partial' | 'failure'): void;
  /** A live connection was closed by policy (1008): `revoked`, `untrusted`, `access`. */
  policyClosed(reason: string): void;
  /** The last refusals, newest first, for the status page. */
  recentRefusals(): readonly RecentRefusal[];
  /** The metrics as Prometheus text: this process's, or with `--workers` every worker's summed. */
  text(): Promise<string>;
}

const NO_LISTENER: ListenerMeter = { refused: () => undefined, handshakeFailed: () => undefined, handshakeCompleted: () => undefined };
const NO_SERVICE: ServiceMeter = {
  opened: () => undefined,
  closed: () => undefined,
  requested: () => undefined,
  upstreamConnected: () => undefined,
  upstreamFailed: () => undefined,
};

/** Reports nothing: for preparing a configuration only to check it, and for tests that do not look. */
export const NO_METRICS: GatewayMetrics = {
  liveTraffic: () => undefined,
  listener: () => NO_LISTENER,
  service: () => NO_SERVICE,
  certificates: () => undefined,
  reloaded: () => undefined,
  crlReloaded: () => undefined,
  policyClosed: () => undefined,
  recentRefusals: () => [],
  text: async () => '',
};
