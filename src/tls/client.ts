/**
 * Connection options for `ssl://` connects to backends (upstream). The secure context is built once here and
 * reused by every connection, so a large truststore is parsed at start-up, not per connect.
 */
import { isIP } from 'node:net';
import tls from 'node:tls';
import { GatewayError } from '../errors.js';
import type { StoreContents } from '../keystore/types.js';
import { keyMaterial, toPem, trustAnchors } from './material.js';
import { resolveTlsPolicy } from './policy.js';
import { normaliseHostname } from './select.js';

export interface ClientTlsSettings {
  /** The backend's host name or IP address, as in the connect URI. */
  host: string;
  /** undefined = the CAs Node trusts by default (its bundled Mozilla list, or the system store under --use-openssl-ca). */
  truststore: StoreContents | undefined;
  /** Its first key entry is presented when the backend asks for a client certificate. */
  keystore: StoreContents | undefined;
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
  // certificate, so the first key entry is the one presented.
  const entry = settings.keystore?.keys[0];

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
  return { options, clientAlias: entry?.alias, warnings: policy.warnings };
}

/** tls.connect options: servername (not for IPs), the truststore as CAs (Node's defaults when none), the host
 *  name checked, and the keystore's certificate presented when the backend asks for one. */
export function buildClientTls(settings: ClientTlsSettings): tls.ConnectionOptions {
  return prepareClientTls(settings).options;
}
