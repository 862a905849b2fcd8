/**
 * The server side of the TLS handshake on an accepted socket, run so that a refusal reaches the client as TLS
 * names it and the gateway still learns why.
 *
 * Node's tls.Server offers two behaviours and neither will do. With rejectUnauthorized false it completes every
 * handshake, so a client that sent no certificate sees the connection dropped after it (`unexpected eof`) rather
 * than an alert. With true, OpenSSL ends such a handshake with `certificate_required` (TLS 1.3) or
 * `handshake_failure` (TLS 1.2), but a client whose certificate fails verification is dropped by the server
 * before the application sees it, and the reason (expired, unknown CA, revoked) is lost. So the socket is made
 * here as tls.Server makes it, with rejectUnauthorized only where verify-client is `required` (the no-certificate
 * alert), and the verification result is read back as tls.Server reads it, leaving the decision to the caller.
 *
 * A presented certificate that fails verification cannot end the handshake with its own alert in Node: OpenSSL's
 * verify callback always continues (JavaScript cannot run inside it), so those clients are answered after the
 * handshake by the caller.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { VerifyClient } from './server.js';
import type { TicketKeys } from './tickets.js';

export interface ServerHandshake {
  /** The context the handshake starts with. */
  readonly context: SecureContext;
  /** The context for the name a client sent in SNI. */
  readonly contextFor: (servername: string) => SecureContext;
  readonly verifyClient: VerifyClient;
  /** The listener's session ticket keys, replaced before this handshake when they have served their time. */
  readonly tickets?: TicketKeys | undefined;
}

export interface HandshakeOutcome {
  /** The handshake completed; `authorized` and `authorizationError` are set as tls.Server sets them. */
  secure(socket: TLSSocket): void;
  /** The handshake failed or the connection closed before it completed. */
  failed(socket: TLSSocket, err: NodeJS.ErrnoException): void;
}

/** What tls.Server itself uses of a TLSSocket that Node does not document. */
interface TlsInternals {
  readonly _handle: { verifyError(): NodeJS.ErrnoException | null } | null;
  _releaseControl(): boolean;
}

function internals(socket: TLSSocket): TlsInternals | undefined {
  const s = socket as unknown as Partial<TlsInternals>;
  return typeof s._releaseControl === 'function' && typeof s._handle?.verifyError === 'function' ? (s as TlsInternals) : undefined;
}

type SniCallback = (servername: string, callback: (err: Error | null, context?: SecureContext) => void) => void;

/**
 * The socket keeps its options, SNI callback included, for its whole life: one callback per `contextFor` rather
 * than one per connection, which would also keep everything the handshake's closures hold.
 */
const sniCallbacks = new WeakMap<ServerHandshake['contextFor'], SniCallback>();

function sniCallback(contextFor: ServerHandshake['contextFor']): SniCallback {
  let callback = sniCallbacks.get(contextFor);
  if (callback === undefined) {
    callback = (servername, done) => done(null, contextFor(servername));
    sniCallbacks.set(contextFor, callback);
  }
  return callback;
}

/** Errors after the handshake, once the outcome is settled: their owner (HTTP, the WebSocket, the pipe) hears them too. */
function settledError(): void {}

export function acceptTls(socket: Socket, handshake: ServerHandshake, outcome: HandshakeOutcome): TLSSocket {
  const requestCert = handshake.verifyClient !== 'none';
  handshake.tickets?.refresh();
  const tlsSocket = new TLSSocket(socket, {
    isServer: true,
    secureContext: handshake.context,
    requestCert,
    // Sets SSL_VERIFY_FAIL_IF_NO_PEER_CERT: OpenSSL refuses a client without a certificate, with an alert.
    rejectUnauthorized: handshake.verifyClient === 'required',
    SNICallback: sniCallback(handshake.contextFor),
  });
  // The gateway never renegotiates, and a client asking to is refused (the contexts also set
  // SSL_OP_NO_RENEGOTIATION where OpenSSL has it).
  tlsSocket.disableRenegotiation();
  let settled = false;
  const fail = (err: NodeJS.ErrnoException): void => {
    if (settled) return;
    settled = true;
    outcome.failed(tlsSocket, err);
  };
  // A client that hangs up before the handshake completes closes the socket without an error.
  const onClose = (): void => {
    const err: NodeJS.ErrnoException = new Error('connection closed during the TLS handshake');
    err.code = 'ECONNRESET';
    fail(err);
  };
  tlsSocket.once('secure', () => {
    if (settled) return;
    const inner = internals(tlsSocket);
    if (inner === undefined) {
      // Fail closed: without the verification result no client certificate can be trusted.
      const err: NodeJS.ErrnoException = new Error('this Node.js does not expose the TLS verification result the gateway reads');
      err.code = 'ERR_GATEWAY_TLS_INTERNALS';
      tlsSocket.destroy();
      fail(err);
      return;
    }
    settled = true;
    // The handshake's listeners would keep it (and the caller's outcome) for the connection's life: the close one
    // has nothing left to report, and errors keep a listener that does nothing, as this one now would.
    tlsSocket.removeListener('close', onClose);
    tlsSocket.removeListener('error', fail);
    tlsSocket.on('error', settledError);
    if (requestCert) {
      const verifyError = inner._handle?.verifyError() ?? null;
      if (verifyError) tlsSocket.authorizationError = (verifyError.code ?? verifyError.message) as unknown as Error;
      else tlsSocket.authorized = true;
    }
    // Hands errors after the handshake to the socket's 'error' listeners, as tls.Server does; until then Node
    // holds them back for the server, and a broken connection would stay open.
    inner._releaseControl();
    outcome.secure(tlsSocket);
  });
  // Before the handshake completes, Node reports a failure by destroying the socket with it.
  tlsSocket.on('error', fail);
  tlsSocket.once('close', onClose);
  return tlsSocket;
}
