/**
 * Server options for one TLS listener (one host:port): the certificate for each accept host name, client
 * certificate verification, protocols and ciphers. Every secure context is built here, once; the SNI callback
 * only looks one up, so a handshake never pays for parsing keys or a truststore.
 */
import { constants, createHash, type X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { GatewayError } from '../errors.js';
import type { KeyEntry, StoreContents } from '../keystore/types.js';
import type { LoadedCrls } from './crl.js';
import { keyMaterial, toPem, trustAnchors } from './material.js';
import { resolveTlsPolicy, type TlsPolicy } from './policy.js';
import { trustState, type TrustState } from './resumed.js';
import { certificateHostNames, currentlyValid, normaliseHostname, selectKeyEntries } from './select.js';
import { TicketKeys } from './tickets.js';
import { isRoot } from './trust-roots.js';
import { subjectOf } from './x509-names.js';

export type VerifyClient = 'none' | 'optional' | 'required';

export interface ServerTlsSettings {
  keystore: StoreContents;
  truststore: StoreContents | undefined;
  /** Host names of all accepts on this host:port (lower case). */
  hostnames: readonly string[];
  verifyClient: VerifyClient;
  /** As written in ssl.ciphers (Java or OpenSSL names); undefined = the default of ciphers.ts. */
  ciphers: string | undefined;
  /** E.g. ['TLSv1.2','TLSv1.3']; undefined = TLSv1.2 and up. */
  protocols: readonly string[] | undefined;
  /** What error messages name besides the host, e.g. `0.0.0.0:443`; optional. */
  where?: string | undefined;
  /** The keystore's file, as configured, for error messages; optional. */
  keystoreFile?: string | undefined;
  /**
   * `ssl.crl`, loaded: turns on revocation checking of the whole client chain (applies only when clients are
   * verified). A CA of the chain without a CRL then refuses its clients (UNABLE_TO_GET_CRL).
   */
  crl?: LoadedCrls | undefined;
  /**
   * `ssl.verify-depth`: most intermediate CAs between client certificate and trust anchor. OpenSSL's own limit
   * cannot be set through Node, so identify() measures the chain and refusalReason() applies this.
   */
  verifyDepth?: number | undefined;
}

export interface PreparedServerTls {
  /** For tls.createServer / https.createServer. */
  readonly options: tls.TlsOptions;
  /** The context a handshake starts with (the base entry's, see below), before SNI chooses another. */
  readonly context: tls.SecureContext;
  /** Normalised host name → its prepared context (several names may share one). */
  readonly contexts: ReadonlyMap<string, tls.SecureContext>;
  /** Normalised host name → the key entry that serves it (whose certificate's dates tls/validity.ts judges). */
  readonly entries: ReadonlyMap<string, KeyEntry>;
  /** The host whose context serves clients that send no or an unknown SNI name. */
  readonly defaultHost: string;
  /** Legacy protocols enabled, cipher names dropped, stale or missing CRLs: for the caller to log. */
  readonly warnings: readonly string[];
  /** The session ticket keys of every context here, and of no other listener (tickets.ts). */
  readonly tickets: TicketKeys;
  /** What a resumed client's certificate is judged against again; undefined when clients are not verified. */
  readonly trust: TrustState | undefined;
}

function describe(settings: ServerTlsSettings, host?: string): string {
  const parts = [host !== undefined ? `host ${host}` : `hosts ${settings.hostnames.join(', ')}`];
  if (settings.where !== undefined) parts.push(`on ${settings.where}`);
  return parts.join(' ');
}

/**
 * A DSA key cannot sign a TLS 1.3 handshake, and in TLS 1.2 only the DHE-DSS suites use it, which the gateway does not
 * offer and today's clients do not either: such an entry is never served. keytool made DSA keys by default up to
 * Java 8, so older Kaazing keystores often hold one.
 */
function servable(entry: KeyEntry): boolean {
  return entry.privateKey.asymmetricKeyType !== 'dsa';
}

/** A key entry and the names its certificate answers to, for messages: `"alias" (a.example, b.example)`. */
function entryNames(entry: KeyEntry): string {
  const leaf = entry.chain[0] as X509Certificate;
  const { names, ips } = certificateHostNames(leaf);
  const all = [...names, ...ips];
  return `"${entry.alias}" (${all.length > 0 ? all.join(', ') : 'no CN or SAN'})`;
}

/** Addresses that mean "every interface": what a bind says, never the name of a server. */
const UNSPECIFIED = new Set(['0.0.0.0', '::']);

function chooseEntry(settings: ServerTlsSettings, host: string, now = Date.now()): KeyEntry {
  const matching = selectKeyEntries(settings.keystore.keys, host, now);
  const entry = matching.find(servable);
  if (entry === undefined && matching.length > 0) {
    const aliases = matching.map((k) => `"${k.alias}"`).join(', ');
    throw new GatewayError(
      'GW_ERR_TLS_NO_CERTIFICATE',
      `the keystore's only ${matching.length === 1 ? 'entry' : 'entries'} for ${host} (${aliases}) ${matching.length === 1 ? 'has a DSA key' : 'have DSA keys'}, which TLS clients of today do not accept` +
        (settings.where !== undefined ? ` (accepts on ${settings.where})` : ''),
      { hint: 'make an EC or RSA key for it (keytool -genkeypair -keyalg EC -groupname secp256r1, or -keyalg RSA -keysize 2048) and have its certificate issued again' },
    );
  }
  if (entry === undefined) {
    const keys = settings.keystore.keys;
    const store = settings.keystoreFile !== undefined ? `keystore "${settings.keystoreFile}"` : 'keystore';
    throw new GatewayError(
      'GW_ERR_TLS_NO_CERTIFICATE',
      `${store} does not have any certificate entries matching ${host}` +
        (settings.where !== undefined ? ` (accepts on ${settings.where})` : '') +
        (keys.length > 0 ? `: its key entries are for ${keys.map(entryNames).join('; ')}` : ''),
      {
        hint:
          keys.length === 0
            ? 'the keystore holds no private-key entries'
            : UNSPECIFIED.has(host)
              ? `${host} is no name a client connects to: accept on the name clients use (one a key entry has), and listen on every interface with <accept-options><wss.bind>${host.includes(':') ? `[${host}]` : host}:PORT</wss.bind> (ssl.bind for ssl://, https.bind for https://)`
              : `add a key entry whose certificate has CN or a DNS SAN ${host}, or accept on a name an entry has`,
      },
    );
  }
  return entry;
}

function clientAnchors(settings: ServerTlsSettings): X509Certificate[] | undefined {
  if (settings.verifyClient === 'none') return undefined;
  const where = describe(settings);
  if (settings.truststore === undefined) {
    throw new GatewayError(
      'GW_ERR_TLS_NO_KEYSTORE',
      `ssl.verify-client ${settings.verifyClient} (${where}) needs a truststore to verify client certificates, and none is configured`,
      { hint: 'add <truststore> to <security>, or set ssl.verify-client to none' },
    );
  }
  const anchors = trustAnchors(settings.truststore);
  if (anchors.length === 0) {
    throw new GatewayError(
      'GW_ERR_TLS_NO_KEYSTORE',
      `ssl.verify-client ${settings.verifyClient} (${where}): the truststore holds no certificates, so no client could be verified`,
      { hint: 'import the CA that issues client certificates into the truststore' },
    );
  }
  // Such a certificate cannot verify even itself (trust-roots.ts): a truststore of nothing else, often a client's
  // own certificate imported in place of its CA, would refuse every client, and only that client's refusal would say so.
  if (!anchors.some((a) => a.ca || isRoot(a))) {
    throw new GatewayError(
      'GW_ERR_TLS_NO_KEYSTORE',
      `ssl.verify-client ${settings.verifyClient} (${where}): no certificate of the truststore can verify a client, since none is a CA or self-signed (${anchors.map(subjectOf).join('; ')})`,
      { hint: 'import the CA that issues client certificates (and its root) into the truststore, not the client certificates themselves' },
    );
  }
  return anchors;
}

// One id per listener and client-certificate policy: OpenSSL resumes a session only where the id it was made
// with is the same, so a session made where clients were not verified (or verified against other CAs, or to
// another depth) is never resumed where they are. The ticket keys (tickets.ts) keep them apart as well. OpenSSL
// requires an id on every server context that asks for client certificates, including those SNI switches to.
function sessionIdContext(settings: ServerTlsSettings, ca: readonly string[] | undefined): string {
  return createHash('sha256')
    .update(`${settings.where ?? ''}|${settings.hostnames.join(',')}|${settings.verifyClient}|${settings.verifyDepth ?? ''}|`)
    .update((ca ?? []).join(''))
    .digest('hex')
    .slice(0, 32);
}

/**
 * TLS 1.2 renegotiation is refused: OpenSSL answers a client's new ClientHello with a no_renegotiation alert.
 * Node otherwise lets a client renegotiate (CLIENT_RENEG_LIMIT only closes a connection that does it more than
 * three times in ten minutes), and each renegotiation costs the server a full handshake: a cheap way for a client
 * to load it. The gateway never asks for renegotiation itself (it asks for client certificates in the first
 * handshake), and TLS 1.3 has none. The renegotiation_info extension (RFC 5746) is still sent, so clients see a
 * server that is not open to the insecure renegotiation attack. OpenSSL reads this option from the context a
 * connection starts with (the listener's base context), not from one the SNI callback switches to; it is on every
 * context so that whichever becomes the base has it.
 */
const REFUSE_RENEGOTIATION = constants.SSL_OP_NO_RENEGOTIATION;

function contextOptions(
  settings: ServerTlsSettings,
  entry: KeyEntry,
  ca: string[] | undefined,
  policy: TlsPolicy,
  sessionId: string,
): tls.SecureContextOptions {
  const { key, cert } = keyMaterial(entry);
  return {
    key,
    cert,
    ...(ca !== undefined ? { ca } : {}),
    // Node sets X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL on this context's store when given CRLs.
    ...(ca !== undefined && settings.crl !== undefined ? { crl: settings.crl.pems } : {}),
    ciphers: policy.ciphers,
    minVersion: policy.minVersion,
    maxVersion: policy.maxVersion,
    sessionIdContext: sessionId,
    // A ticket's lifetime hint and the session's validity: no longer than its key is used (tickets.ts).
    sessionTimeout: TicketKeys.lifetimeSeconds(),
    // The server's order of preference decides (tls.Server sets this too): the strongest suite both sides have,
    // not whatever a client happens to list first.
    honorCipherOrder: true,
    secureOptions: REFUSE_RENEGOTIATION,
  };
}

function isRsa(entry: KeyEntry): boolean {
  const type = entry.privateKey.asymmetricKeyType;
  return type === 'rsa' || type === 'rsa-pss';
}

/** Which key entry serves each of the listener's host names (normalised), the first its accepts name first, as ranked at `now`. */
export function chooseEntries(settings: ServerTlsSettings, now = Date.now()): Map<string, KeyEntry> {
  const entries = new Map<string, KeyEntry>();
  for (const host of new Set(settings.hostnames.map(normaliseHostname))) entries.set(host, chooseEntry(settings, host, now));
  return entries;
}

/**
 * The certificates of the keystore not valid yet that will take a host name over from `current` when they become
 * valid (servedChoice then), the first for each host name: a renewal imported ahead of its start date.
 */
export function upcomingEntries(settings: ServerTlsSettings, current: ReadonlyMap<string, KeyEntry>, now = Date.now()): { readonly host: string; readonly entry: KeyEntry; readonly from: number }[] {
  const starts = [...new Set(settings.keystore.keys.map((k) => Date.parse(k.chain[0]?.validFrom ?? '')).filter((t) => t > now))].sort((a, b) => a - b);
  const upcoming = new Map<string, { host: string; entry: KeyEntry; from: number }>();
  for (const from of starts) {
    for (const [host, entry] of servedChoice(settings, current, from)) {
      if (entry !== current.get(host) && !upcoming.has(host)) upcoming.set(host, { host, entry, from });
    }
  }
  return [...upcoming.values()];
}

/**
 * What stops the certificates waiting in the keystore (upcomingEntries) from being served when their time comes:
 * each is built into a TLS context now, as it would be then, so that a renewal whose key does not match its
 * certificate is found when it is imported, not on its start date. One message per entry that fails.
 */
export function upcomingProblems(settings: ServerTlsSettings, current: ReadonlyMap<string, KeyEntry>, now = Date.now()): string[] {
  return upcomingEntries(settings, current, now).flatMap(({ host, entry, from }) => {
    try {
      prepareServerTls(settings, { entries: new Map([...current, [host, entry]]) });
      return [];
    } catch (e) {
      return [`keystore entry "${entry.alias}", which is to serve ${host} from ${new Date(from).toISOString()}, cannot be served: ${e instanceof Error ? e.message : String(e)}; the certificate in force stays served then`];
    }
  });
}

/**
 * The entries a listener serving `current` should serve now: for each host name, the entry chooseEntries ranks first
 * where it is valid at `now`, else the one it has. An expired or not yet valid certificate in place of another is no
 * better, and every change costs the listener's clients a full handshake once (the session ticket keys follow the
 * certificates).
 */
export function servedChoice(settings: ServerTlsSettings, current: ReadonlyMap<string, KeyEntry>, now = Date.now()): Map<string, KeyEntry> {
  const entries = new Map(current);
  for (const [host, entry] of chooseEntries(settings, now)) if (entry !== current.get(host) && currentlyValid(entry, now)) entries.set(host, entry);
  return entries;
}

/** Whether two choices serve every host name with the same entry. */
export function sameEntries(a: ReadonlyMap<string, KeyEntry>, b: ReadonlyMap<string, KeyEntry>): boolean {
  if (a.size !== b.size) return false;
  for (const [host, entry] of a) if (b.get(host) !== entry) return false;
  return true;
}

/**
 * What a rebuild keeps of a listener's TLS rather than making again: the entry each host name is served with
 * (servedChoice), and the trust, when the truststore and CRLs are the same (so that the verdicts kept for it stay
 * good).
 */
export interface ServerTlsReuse {
  readonly entries: ReadonlyMap<string, KeyEntry>;
  readonly trust?: TrustState | undefined;
}

/**
 * Everything buildServerTls returns, plus the prepared contexts and the warnings for the caller to log. The entries
 * are chosen as ranked now, unless `reuse` gives them.
 */
export function prepareServerTls(settings: ServerTlsSettings, reuse?: ServerTlsReuse): PreparedServerTls {
  const entries = reuse !== undefined ? new Map(reuse.entries) : chooseEntries(settings);
  const defaultHost = [...entries.keys()][0];
  if (defaultHost === undefined) {
    throw new GatewayError('GW_ERR_INTERNAL', `no accept host name given for the TLS listener${settings.where ? ` on ${settings.where}` : ''}`);
  }
  const policy = resolveTlsPolicy(settings.ciphers, settings.protocols, describe(settings));
  const anchors = clientAnchors(settings);
  const ca = anchors !== undefined ? toPem(anchors) : undefined;
  const sessionId = sessionIdContext(settings, ca);

  // Hosts served by the same key entry share one context.
  const byEntry = new Map<KeyEntry, tls.SecureContext>();
  const contexts = new Map<string, tls.SecureContext>();
  for (const [host, entry] of entries) {
    let context = byEntry.get(entry);
    if (context === undefined) {
      try {
        context = tls.createSecureContext(contextOptions(settings, entry, ca, policy, sessionId));
      } catch (cause) {
        const detail = cause instanceof Error ? cause.message : String(cause);
        throw new GatewayError(
          'GW_ERR_TLS_CONTEXT',
          `the TLS library refused keystore entry "${entry.alias}" for ${describe(settings, host)}: ${detail}`,
          { cause, hint: 'check that the entry\'s private key belongs to its certificate and that the truststore holds certificates' },
        );
      }
      byEntry.set(entry, context);
    }
    contexts.set(host, context);
  }

  // Node's SNI switch adds the chosen context's certificate to the one the handshake started with instead of
  // replacing it, and OpenSSL then picks by key type: from an EC base, an SNI choice of an RSA certificate would
  // still serve the EC one to every ECDSA-capable client. From an RSA base, the SNI choice wins for any client
  // that can use it, so the base is an RSA entry whenever the listener has one.
  const defaultEntry = entries.get(defaultHost) as KeyEntry;
  const baseEntry = isRsa(defaultEntry) ? defaultEntry : ([...entries.values()].find(isRsa) ?? defaultEntry);
  const options: tls.TlsOptions = {
    ...contextOptions(settings, baseEntry, ca, policy, sessionId),
    requestCert: settings.verifyClient !== 'none',
    // For a plain tls.Server (tests, tools): the gateway's listener runs handshakes itself (accept.ts), with
    // rejectUnauthorized only for `required`; either way identify() and refusalReason() judge the client.
    rejectUnauthorized: false,
  };
  const crlWarnings = ca !== undefined ? (settings.crl?.warnings ?? []) : [];
  const context = byEntry.get(baseEntry) as tls.SecureContext;
  // A session resumes with the cipher it was made with: one that ssl.ciphers or ssl.protocols no longer allow must not.
  const material = createHash('sha256').update(sessionId).update(`|${policy.ciphers}|${policy.minVersion}|${policy.maxVersion}|`);
  for (const pem of ca !== undefined ? (settings.crl?.pems ?? []) : []) material.update(pem);
  for (const entry of byEntry.keys()) for (const cert of entry.chain) material.update(cert.raw);
  const tickets = new TicketKeys([...byEntry.values()], { material: material.digest() });
  const trust = reuse?.trust ?? (anchors !== undefined ? trustState(anchors, settings.crl?.revocations) : undefined);
  const loopWarnings =
    trust?.issuers.loops === true
      ? [
          "the truststore holds CA certificates that are each issued by the other (cross-signed both ways, or the link certificates of a root key rollover): Node cannot link a client's chain through them without end, so a client whose chain the truststore alone does not decide (one that sends its own intermediate CAs, or is issued by one of these CAs) is refused (UNABLE_TO_GET_ISSUER_CERT_LOCALLY); keep the roots and leave the cross-signed or link certificates out",
        ]
      : [];
  const prepared: PreparedServerTls = { options, context, contexts, entries, defaultHost, warnings: [...policy.warnings, ...crlWarnings, ...loopWarnings], tickets, trust };
  if (byEntry.size > 1) options.SNICallback = (servername, callback) => callback(null, contextForServername(prepared, servername));
  return prepared;
}

/** The context for the name a client sent in SNI: its host's, or the default host's for a name no accept has. */
export function contextForServername(prepared: PreparedServerTls, servername: string): tls.SecureContext {
  return (prepared.contexts.get(normaliseHostname(servername)) ?? prepared.contexts.get(prepared.defaultHost)) as tls.SecureContext;
}

/** Options for tls.createServer/https.createServer. Throws GatewayError (GW_ERR_TLS_*) naming the host/option. */
export function buildServerTls(settings: ServerTlsSettings): tls.TlsOptions {
  return prepareServerTls(settings).options;
}
