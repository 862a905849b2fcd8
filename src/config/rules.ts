/**
 * Rules across services: what the listener needs to hold (one TLS server per host:port can only have one set of
 * TLS settings), routes that would shadow each other, and TLS accepts that need stores.
 */
import { describePosition, type Diagnostics } from './diagnostics.js';
import { ACCEPT_DEFAULTS, clientCheckOptions } from './options.js';
import { isHttpScheme, isStreamScheme, isTlsScheme } from './uris.js';
import type { ServiceDraft } from './service.js';
import type { AcceptUri, HostPort } from './types.js';

/** Which stores `<security>` declares (a declared but invalid store is reported where it is, not again here). */
export interface DeclaredStores {
  readonly keystore: boolean;
  readonly truststore: boolean;
}

interface Placed {
  readonly service: string;
  readonly accept: AcceptUri;
  readonly tls: boolean;
  /** tcp:// or ssl://: a byte stream, with no request to route by. */
  readonly stream: boolean;
  readonly verifyClient: string;
  readonly ciphers: string | undefined;
  readonly protocols: string | undefined;
  readonly crl: string | undefined;
  readonly verifyDepth: number | undefined;
  readonly proxyProtocol: string;
  readonly proxyProtocolTrusted: string | undefined;
  readonly handshakeTimeoutMs: number;
  readonly maximumConnections: number;
  readonly maximumConnectionsPerAddress: number | undefined;
  readonly uncertain: boolean;
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

function place(drafts: readonly ServiceDraft[]): Placed[] {
  return drafts.flatMap(({ config, acceptOptions }) => {
    const { crl, verifyDepth } = clientCheckOptions(acceptOptions);
    return config.accepts.map((accept) => ({
      service: config.name,
      accept,
      tls: isTlsScheme(accept.scheme) && acceptOptions.encryption?.value !== false,
      stream: isStreamScheme(accept.scheme),
      verifyClient: acceptOptions.verifyClient?.value ?? 'none',
      ciphers: acceptOptions.ciphers?.value,
      protocols: acceptOptions.protocols ? [...acceptOptions.protocols.value].sort().join(',') : undefined,
      crl: crl?.value,
      verifyDepth: verifyDepth?.value,
      proxyProtocol: acceptOptions.proxyProtocol?.value ?? 'none',
      proxyProtocolTrusted: acceptOptions.proxyProtocolTrusted ? [...acceptOptions.proxyProtocolTrusted.value].sort().join(', ') : undefined,
      handshakeTimeoutMs: acceptOptions.handshakeTimeoutMs?.value ?? ACCEPT_DEFAULTS.handshakeTimeoutMs,
      maximumConnections: acceptOptions.maximumConnections?.value ?? ACCEPT_DEFAULTS.maximumConnections,
      maximumConnectionsPerAddress: acceptOptions.maximumConnectionsPerAddress?.value,
      uncertain: acceptOptions.uncertain === true,
    }));
  });
}

function describe(p: Placed): string {
  return `${p.accept.uri} (service "${p.service}", ${describePosition(p.accept.position)})`;
}

export function checkRules(drafts: readonly ServiceDraft[], stores: DeclaredStores, diags: Diagnostics): void {
  const placed = place(drafts);
  checkSharedListeners(placed, diags);
  checkDuplicateRoutes(placed, diags);
  checkStores(placed, stores, diags);
}

/**
 * Accepts on one host:port share one server. ws:// and wss:// may share it, as in Kaazing: the first bytes of a
 * connection tell TLS from plain HTTP (listener/sniff.ts). What applies before that is known (PROXY header,
 * deadline, limits) must agree across the address; the TLS settings must agree among its TLS accepts.
 */
function checkSharedListeners(placed: readonly Placed[], diags: Diagnostics): void {
  const groups = new Map<string, Placed[]>();
  for (const p of placed) {
    const key = formatHostPort(p.accept.listen);
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  for (const [address, group] of groups) {
    const [head, ...rest] = group as [Placed, ...Placed[]];
    let tlsHead = head.tls ? head : undefined;
    for (const other of rest) {
      const conflict = (what: string, a: string, b: string, first = head): void => {
        diags.error(
          'GW_ERR_CONFIG_CONFLICT',
          `Accepts ${describe(first)} and ${other.accept.uri} (service "${other.service}") both listen on ${address} but disagree on ${what}: ${a} vs ${b}`,
          other.accept.position,
          'accepts sharing an address share one server: make them agree, or bind them to different ports',
        );
      };
      if (head.stream || other.stream) {
        // Without HTTP there is no Host or path to tell two services apart: a stream listener serves one accept.
        const kind = (p: Placed): string => (p.stream ? `a byte stream (${p.accept.scheme}://)` : `HTTP (${p.accept.scheme}://)`);
        conflict('the service it serves', kind(head), kind(other));
        continue;
      }
      // An option that did not parse is already reported where it is; comparing its default would blame the other.
      if (head.uncertain || other.uncertain) continue;
      // The PROXY header comes before any TLS byte, so the one server reads it (or not) for every accept.
      if (head.proxyProtocol !== other.proxyProtocol) conflict('tcp.proxy-protocol', head.proxyProtocol, other.proxyProtocol);
      else if (head.proxyProtocol !== 'none' && head.proxyProtocolTrusted !== other.proxyProtocolTrusted) conflict('tcp.proxy-protocol.trusted', head.proxyProtocolTrusted ?? '(none)', other.proxyProtocolTrusted ?? '(none)');
      // Deadlines and limits apply before a request names its service, so the one server holds them for all.
      if (head.handshakeTimeoutMs !== other.handshakeTimeoutMs) conflict('ws.handshake.timeout', `${head.handshakeTimeoutMs} ms`, `${other.handshakeTimeoutMs} ms`);
      if (head.maximumConnections !== other.maximumConnections) conflict('tcp.maximum.connections', String(head.maximumConnections), String(other.maximumConnections));
      if (head.maximumConnectionsPerAddress !== other.maximumConnectionsPerAddress) conflict('tcp.maximum.connections.per.address', String(head.maximumConnectionsPerAddress ?? '(no limit)'), String(other.maximumConnectionsPerAddress ?? '(no limit)'));
      if (!other.tls) continue;
      if (tlsHead === undefined) {
        tlsHead = other;
        continue;
      }
      // One TLS server per address: its TLS accepts share one set of settings.
      const t = tlsHead;
      if (t.uncertain) continue;
      if (t.verifyClient !== other.verifyClient) conflict('ssl.verify-client', t.verifyClient, other.verifyClient, t);
      if (t.ciphers !== other.ciphers) conflict('ssl.ciphers', t.ciphers ?? '(default)', other.ciphers ?? '(default)', t);
      if (t.protocols !== other.protocols) conflict('ssl.protocols', t.protocols ?? '(default)', other.protocols ?? '(default)', t);
      if (t.crl !== other.crl) conflict('ssl.crl', t.crl ?? '(none)', other.crl ?? '(none)', t);
      if (t.verifyDepth !== other.verifyDepth) conflict('ssl.verify-depth', String(t.verifyDepth ?? '(no limit)'), String(other.verifyDepth ?? '(no limit)'), t);
    }
  }
}

/**
 * Two accepts with the same host, port and path and of the same kind: a request could not tell which service it is
 * for. A WebSocket accept and an HTTP one may share a path (upgrades go to the one, plain requests to the other).
 */
function checkDuplicateRoutes(placed: readonly Placed[], diags: Diagnostics): void {
  const seen = new Map<string, Placed>();
  for (const p of placed) {
    // ws:// and wss:// (http:// and https://) on one address are told apart before routing, so the same path may
    // be in each; an upgrade and a plain request to one path go to different services.
    const key = `${p.tls ? 'tls' : 'plain'} ${isHttpScheme(p.accept.scheme) ? 'http' : 'ws'} ${formatHostPort(p.accept)}${p.accept.path}`;
    const before = seen.get(key);
    if (before === undefined) {
      seen.set(key, p);
      continue;
    }
    if (before.service === p.service) {
      diags.error('GW_ERR_CONFIG_DUPLICATE', `The accept ${p.accept.uri} of service "${p.service}" is already one of its accepts, as ${before.accept.uri} (${describePosition(before.accept.position)})`, p.accept.position, 'remove one of them');
    } else {
      diags.error('GW_ERR_CONFIG_DUPLICATE', `The accept ${p.accept.uri} (service "${p.service}") is already taken by ${describe(before)}`, p.accept.position, 'give each service its own path or port');
    }
  }
}

function checkStores(placed: readonly Placed[], stores: DeclaredStores, diags: Diagnostics): void {
  for (const p of placed) {
    if (!p.tls) continue;
    if (!stores.keystore) {
      diags.error('GW_ERR_CONFIG_MISSING', `The accept ${p.accept.uri} (service "${p.service}") needs a server certificate, but <security> has no <keystore>`, p.accept.position, 'add <security><keystore><file>…</file></keystore></security>');
    }
    if (p.verifyClient !== 'none' && !stores.truststore) {
      diags.error('GW_ERR_CONFIG_MISSING', `The accept ${p.accept.uri} (service "${p.service}") verifies client certificates (ssl.verify-client ${p.verifyClient}), but <security> has no <truststore> to verify them against`, p.accept.position, 'add <security><truststore><file>…</file></truststore></security>');
    }
  }
}
