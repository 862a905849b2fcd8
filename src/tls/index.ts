/** TLS for the gateway: server contexts by host name, client identity, backend connections, name mappings. */
export { buildServerTls, prepareServerTls, type PreparedServerTls, type ServerTlsSettings, type VerifyClient } from './server.js';
export { buildClientTls, prepareClientTls, type ClientTlsSettings, type PreparedClientTls } from './client.js';
export { identify, refusalReason, type ClientIdentity } from './identity.js';
export { selectKeyEntries, certificateHostNames, normaliseHostname } from './select.js';
export { resolveCiphers, toOpenSslCipherName, TLS13_SUITES, DEFAULT_CIPHERS, DEFAULT_TLS12_CIPHERS, type CipherList } from './ciphers.js';
export { resolveProtocols, DEFAULT_PROTOCOLS, type ProtocolRange } from './protocols.js';
export { resolveTlsPolicy, type TlsPolicy } from './policy.js';
export { trustAnchors } from './material.js';
export { loadCrls, type CrlSummary, type LoadCrlOptions, type LoadedCrls } from './crl.js';
export { watchCrl, DEFAULT_CRL_POLL_MS, type WatchCrlOptions } from './crl-watch.js';
export { readCertificateNames, formatDn, dnAttributes, type CertificateNames, type SubjectAltName } from './x509-names.js';
