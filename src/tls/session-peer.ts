/**
 * The DER of the client's certificate, read from the connection's TLS session rather than with
 * getPeerCertificate(): that one turns the certificate into an object on every call (its names printed, its public
 * key, three fingerprints), which cost 80 µs per connection in a churn profile, where a certificate seen before
 * needs only its DER to be found again (certificate-cache.ts). Node 20's getPeerX509Certificate() is not an
 * alternative on a server socket: it takes the client's intermediates out of the connection's chain, and
 * getPeerCertificate(true) no longer links them afterwards.
 *
 * `getSession()` is OpenSSL's i2d_SSL_SESSION, whose ASN.1 (ssl/ssl_asn1.c) begins
 *
 *     SEQUENCE { version INTEGER, sslVersion INTEGER, cipher OCTET STRING, sessionID OCTET STRING,
 *                masterKey OCTET STRING, keyArg [0] IMPLICIT OPTIONAL, time [1] EXPLICIT OPTIONAL,
 *                timeout [2] EXPLICIT OPTIONAL, peer [3] EXPLICIT Certificate OPTIONAL, ... }
 *
 * It carries the session's master secret, so the certificate is copied out and the rest overwritten at once.
 */
import type { TLSSocket } from 'node:tls';

const SEQUENCE = 0x30;
/** Context-specific, constructed, tag number 3: the session's `peer`. */
const PEER = 0xa3;

/**
 * The client certificate's DER from a connected server socket: null when its session names none, undefined when
 * there is no session to read (a socket already closed) or it cannot be read. Never throws.
 */
export function sessionPeerDer(socket: TLSSocket): Buffer | null | undefined {
  // Typed as Buffer | undefined, but null once the socket's handle is gone.
  const session = socket.getSession() as Buffer | null | undefined;
  if (!session) return undefined;
  try {
    const found = certificateInSession(session);
    if (!found) return found;
    // Memory of its own rather than a slice of Node's shared pool: the certificate cache may keep it for long, and a
    // slice would keep its whole 8 KiB slab alive.
    const der = Buffer.allocUnsafeSlow(found.length);
    der.set(found);
    return der;
  } finally {
    session.fill(0);
  }
}

/**
 * The `peer` certificate's DER inside a serialised session, as a view into `session`; null when the session names
 * none, undefined when the bytes are not such a session. Never throws.
 */
export function certificateInSession(session: Uint8Array): Uint8Array | null | undefined {
  const outer = readTlv(session, 0);
  if (outer === undefined || outer.tag !== SEQUENCE || outer.end !== session.length) return undefined;
  let at = outer.start;
  while (at < outer.end) {
    const field = readTlv(session, at, outer.end);
    if (field === undefined) return undefined;
    if (field.tag === PEER) {
      const cert = readTlv(session, field.start, field.end);
      if (cert === undefined || cert.tag !== SEQUENCE || cert.end !== field.end) return undefined;
      return session.subarray(field.start, field.end);
    }
    at = field.end;
  }
  return null;
}

interface Tlv {
  readonly tag: number;
  /** First byte of the contents. */
  readonly start: number;
  /** One past the last byte of the contents. */
  readonly end: number;
}

/** One DER element at `at`, which must end by `limit`; only the forms a session uses (one-byte tags, definite lengths). */
function readTlv(bytes: Uint8Array, at: number, limit = bytes.length): Tlv | undefined {
  if (at + 2 > limit) return undefined;
  const tag = bytes[at] as number;
  if ((tag & 0x1f) === 0x1f) return undefined;
  let length = bytes[at + 1] as number;
  let start = at + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    // More than four length octets are more than any session holds; zero is BER's indefinite form, not DER.
    if (octets === 0 || octets > 4 || start + octets > limit) return undefined;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + (bytes[start + i] as number);
    start += octets;
  }
  const end = start + length;
  return end > limit ? undefined : { tag, start, end };
}
