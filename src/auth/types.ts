/**
 * What the access rules need to know about a client's certificate. It is the subset of the TLS layer's client
 * identity (src/tls/identity.ts) that admission reads, declared here so that auth stays a leaf: any object of that
 * shape fits by structural typing, and tests can build one without a TLS handshake.
 */

export type SanType = 'DNS' | 'URI' | 'EMAIL' | 'IP';

export interface SubjectAltName {
  readonly type: SanType;
  readonly value: string;
}

export interface AccessIdentity {
  /** A certificate was sent in the handshake. */
  readonly presented: boolean;
  /** It chained to the truststore and was valid; only then do certificate conditions look at it. */
  readonly verified: boolean;
  /** Why verification failed (OpenSSL's code, e.g. `CERT_HAS_EXPIRED`), for the refusal reason. */
  readonly error: string | undefined;
  /** The subject as the TLS layer prints it, for log lines only: matching uses `subjectAttributes`. */
  readonly subject: string | undefined;
  /** Attribute short names (`CN`, `OU`, `O`, …) to every value the subject holds for them, in certificate order. */
  readonly subjectAttributes: Readonly<Record<string, readonly string[]>>;
  readonly sans: readonly SubjectAltName[];
  /** SHA-256 of the DER certificate, upper-case colon hex (`AB:CD:…`). */
  readonly fingerprint256: string | undefined;
}
