/**
 * Connection options for `ssl://` and `wss://` connects to backends (upstream). The secure context is built once
 * here and reused by every connection, so a large truststore is parsed at start-up, not per connect.
 */
import { isIP } from 'node:net';
import tls from 'node:tls';
import { GatewayError } from '../errors.js';
import type { StoreContents } from '../keystore/types.js';
import type { KeyEntry } from '../keystore/types.js';
import { clientAuthProblem } from './key-usage.js';
import { keyMaterial, toPem, trustAnchors } from './material.js';
import { resolveTlsPolicy } from './policy.js';
import { normaliseHostname } from './select.js';

export interface ClientTlsSettings {
  /** The backend's host name or IP address, as in the connect URI. */
  host: string;
  /** undefined = the CAs Node trusts by default (its bundled Mozilla list, or the system store under --use-openssl-ca). */
  truststore: StoreContents | undefined;
  /** The key entry named by `alias` (else the first) is presented when the backend asks for a client certificate. */
  keystore: StoreContents | undefined;
  /**
   * `ssl.keystore.alias`: the key entry to present. Matched exactly, else ignoring case (Java's JKS and PKCS12
   * key stores compare aliases that way); undefined = the first key entry.
   */
  alias?: string | undefined;
  /** As written in ssl.ciphers; undefined = the default of ciphers.ts. */
  ciphers: string | undefined;
  protocols: readonly string[] | undefined;
  /** What error messages name, e.g. `connect ssl://backend:9443`; defaults to the host. */
  where?: string | undefined;
}

export interface PreparedClientTls {
  /** For tls.connect (add port, or a socket). */
  readonly options: tls.ConnectionOptions;
  /** Alias of the key entry presented to the backend, if any. */
  readonly clientAlias: string | undefined;
  /** The key entry presented to the backend, if any (whose certificate's dates tls/validity.ts judges). */
  readonly clientEntry: KeyEntry | undefined;
  readonly warnings: readonly string[];
}

export function prepareClientTls(settings: ClientTlsSettings): PreparedClientTls {
  const host = normaliseHostname(settings.host);
  const where = settings.where ?? `connect to ${host}`;
  const policy = resolveTlsPolicy(settings.ciphers, settings.protocols, where);

  let ca: string[] | undefined;
  if (settings.truststore !== undefined) {
    const anchors = trustAnchors(settings.truststore);
    if (anchors.length === 0) {
      throw new GatewayError(
        'GW_ERR_TLS_NO_KEYSTORE',
        `the truststore holds no certificates, so the certificate of ${host} (${where}) could not be verified`,
        { hint: 'import the CA that issued the backend certificate into the truststore' },
      );
    }
    ca = toPem(anchors);
  }
  // Java's default key manager picks among entries by the CAs the server names; OpenSSL in Node offers one
  // certificate, so the entry named by ssl.keystore.alias, else the first key entry, is the one presented.
  const entry = chooseEntry(settings, where);
  const warnings = [...policy.warnings];
  const keyWarning =
    entry !== undefined
      ? clientAuthWarning(entry, where)
      : settings.keystore && (noKeyWarning(settings.keystore, where) ?? noClientAuthWarning(settings.keystore, where));
  if (keyWarning) warnings.push(keyWarning);

  let secureContext: tls.SecureContext;
  try {
    secureContext = tls.createSecureContext({
      ...(ca !== undefined ? { ca } : {}),
      ...(entry !== undefined ? keyMaterial(entry) : {}),
      // Without ssl.ciphers, the same ECDHE + AEAD default as the gateway's own listeners (ciphers.ts).
      ciphers: policy.ciphers,
      minVersion: policy.minVersion,
      maxVersion: policy.maxVersion,
    });
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const what = entry !== undefined ? `keystore entry "${entry.alias}" or the truststore` : 'the truststore';
    throw new GatewayError('GW_ERR_TLS_CONTEXT', `the TLS library refused ${what} for ${where}: ${detail}`, { cause });
  }

  const options: tls.ConnectionOptions = {
    host,
    secureContext,
    // The certificate must chain to the truststore and name the host (tls.checkServerIdentity, the default).
    rejectUnauthorized: true,
    // SNI carries host names only (RFC 6066 §3); for an IP the identity check uses the IP SANs.
    ...(isIP(host) === 0 ? { servername: host } : {}),
  };
  return { options, clientAlias: entry?.alias, clientEntry: entry, warnings };
}

/**
 * What a keystore without a key entry holds instead, for the message that says no certificate can be presented
 * from it; undefined when it has a key entry.
 */
export function missingKeyReason(keystore: StoreContents): string | undefined {
  if (keystore.keys.length > 0) return undefined;
  const locked = keystore.lockedKeys?.length ?? 0;
  if (locked > 0) return `the key of ${locked === 1 ? `"${keystore.lockedKeys?.[0]?.alias}"` : `${locked} entries`} was not read (no password)`;
  const trusted = keystore.trusted.length;
  // A PEM file with certificates only reads as trusted certificates: the usual slip is a certificate without its key.
  return trusted > 0 ? `it holds ${trusted} certificate${trusted === 1 ? '' : 's'} and no private key` : 'it holds no key entry';
}

/** A keystore given for client certificates that has none to offer: every target that asks for one refuses. */
function noKeyWarning(keystore: StoreContents, where: string): string | undefined {
  const reason = missingKeyReason(keystore);
  if (reason === undefined) return undefined;
  return `the keystore offers no client certificate to ${where}: ${reason}; a target that asks for one refuses the connection (a PEM keystore holds the private key and its certificate in one file)`;
}

/**
 * Without an alias, the first key entry whose certificate can authenticate a client, as Java's PKIX key manager
 * prefers one: a keystore shared with wss:// accepts often holds the server certificate first, which a backend that
 * asks for a certificate would refuse (`INVALID_PURPOSE`), even one that only asks. None when no entry can.
 */
function chooseEntry(settings: ClientTlsSettings, where: string): KeyEntry | undefined {
  const { keystore, alias } = settings;
  if (alias === undefined) return keystore?.keys.find((k) => k.chain[0] !== undefined && clientAuthProblem(k.chain[0]) === undefined);
  if (keystore === undefined) {
    throw new GatewayError('GW_ERR_TLS_NO_KEYSTORE', `ssl.keystore.alias "${alias}" (${where}) names a keystore entry, but no keystore is configured`, {
      hint: 'add a <keystore> to <security>, or remove <ssl.keystore.alias>',
    });
  }
  const lower = alias.toLowerCase();
  const entry = keystore.keys.find((k) => k.alias === alias) ?? keystore.keys.find((k) => k.alias.toLowerCase() === lower);
  if (entry !== undefined) return entry;
  const names = keystore.keys.map((k) => `"${k.alias}"`);
  const has = names.length > 0 ? `its key entries are ${names.join(', ')}` : 'it has no key entries';
  const sameName = (a: { alias: string }): boolean => a.alias.toLowerCase() === lower;
  const why = keystore.trusted.some(sameName)
    ? `; "${alias}" is a trusted certificate, which has no private key`
    : (keystore.lockedKeys ?? []).some(sameName)
      ? `; the key of "${alias}" was not read (no password)`
      : '';
  throw new GatewayError('GW_ERR_TLS_NO_CERTIFICATE', `ssl.keystore.alias "${alias}" (${where}) names no key entry in the keystore: ${has}${why}`, {
    hint: 'keytool -list -keystore FILE (or gateway keystore list) shows the aliases',
  });
}

/**
 * A certificate whose extensions forbid client authentication is refused by a backend that checks them, with an
 * alert that does not say why: presented only when ssl.keystore.alias names it, with this warning.
 */
function clientAuthWarning(entry: KeyEntry, where: string): string | undefined {
  const leaf = entry.chain[0];
  const problem = leaf !== undefined ? clientAuthProblem(leaf) : undefined;
  if (problem === undefined) return undefined;
  return `keystore entry "${entry.alias}" cannot be used for client authentication (${problem}): ${where} refuses it if it asks for a client certificate`;
}

/** Without an alias, a keystore whose key entries all forbid client authentication: none is presented. */
function noClientAuthWarning(keystore: StoreContents, where: string): string | undefined {
  const entries = keystore.keys.filter((k) => k.chain[0] !== undefined);
  const first = entries[0];
  if (first === undefined) return undefined;
  const problem = clientAuthProblem(first.chain[0]!);
  const which = entries.length === 1 ? `its key entry "${first.alias}" cannot be used for client authentication (${problem})` : `none of its ${entries.length} key entries can be used for client authentication`;
  return `the keystore offers no client certificate to ${where}: ${which}, so none is presented; a target that requires one refuses the connection (name an entry with <ssl.keystore.alias> to present it all the same)`;
}

/** tls.connect options: servername (not for IPs), the truststore as CAs (Node's defaults when none), the host
 *  name checked, and the keystore's certificate presented when the backend asks for one. */
export function buildClientTls(settings: ClientTlsSettings): tls.ConnectionOptions {
  return prepareClientTls(settings).options;
}
