/** OpenSSL's verification codes for a chain that leads to no CA in the verifier's trust, nothing else being wrong. */
export const UNTRUSTED_CHAIN: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_UNTRUSTED',
]);

/**
 * What to do when a backend's certificate chains to no CA the gateway trusts. A self-signed certificate
 * (DEPTH_ZERO_SELF_SIGNED_CERT) is one too: a backend's own, which the truststore must then hold. And when the
 * backend refused the gateway for presenting no certificate of its own.
 */
export function untrustedBackendHint(code: string | undefined): string | undefined {
  // The other direction: the backend (or the central gateway a device connects to) asked for a certificate.
  if (code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED') return 'the backend requires a client certificate: present one from the keystore (<security><keystore>, chosen with <ssl.keystore.alias> in <connect-options>; `gateway connect --keystore`)';
  if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT') return 'the backend presents a self-signed certificate: trust it by importing it into the truststore (<security><truststore>; `gateway connect --truststore`)';
  if (code === undefined || !UNTRUSTED_CHAIN.has(code)) return undefined;
  return "import the CA that issued the backend's certificate into the truststore (<security><truststore>; `gateway connect --truststore`); without one only Node's built-in public CAs are trusted";
}
