/**
 * Opens the connection to a backend (`tcp://` or `ssl://`). A connector is a plain function so that callers and
 * tests can wrap it (count attempts, inject failures) without knowing how sockets are made, the way undici's
 * `buildConnector` works. It knows nothing of the configuration: the caller turns a `<connect>` URI and its
 * connect-options into an UpstreamTarget, and builds the TLS options (trust, ciphers, protocols) in src/tls.
 */
import net from 'node:net';
import tls from 'node:tls';
import { GatewayError } from '../errors.js';
import { untrustedBackendHint } from '../tls/untrusted.js';
import type { Cancellation } from './cancellation.js';
import type { HostAddresses } from './resolver.js';
import { KEEPALIVE_DELAY_MS } from './tcp-keepalive.js';

export interface UpstreamTarget {
  /** The URI as configured (`tcp://backend:5000`), used in every message. */
  uri: string;
  scheme: 'tcp' | 'ssl';
  host: string;
  port: number;
  /** Local address to connect from (`tcp.bind`); undefined lets the system choose. */
  localAddress?: string | undefined;
  /**
   * For ssl:// only, built by the caller and used as given (`ca`, `ciphers`, `minVersion`, `rejectUnauthorized`…).
   * When it sets no `servername`, SNI is the target host unless that host is an IP address.
   */
  tls?: tls.ConnectionOptions | undefined;
  /** Gives up when the connection (and, for ssl://, the TLS handshake) is not done in this time. Default 10 s. */
  connectTimeoutMs?: number | undefined;
  /** How `host` is resolved when it is a name (resolver.ts); undefined: looked up at every connect. */
  addresses?: HostAddresses | undefined;
}

/**
 * Resolves once connected (after the TLS handshake for ssl://); rejects with GatewayError GW_ERR_UPSTREAM_CONNECT
 * ("Connection to tcp://h:p failed: ECONNREFUSED") or GW_ERR_UPSTREAM_TLS (naming the verification error), the
 * original error as `cause`. Honors the cancellation: the socket is destroyed and the promise rejects with
 * GW_ERR_UPSTREAM_CONNECT.
 *
 * The resolved socket has Nagle's algorithm off, TCP keep-alive on (the first probe after KEEPALIVE_DELAY_MS idle,
 * as for clients), and one no-op 'error' listener, so that a reset arriving before the caller attaches its own
 * listener cannot crash the process; such an error stays readable as `socket.errored` (fuse() checks it).
 */
export type Connector = (target: UpstreamTarget, cancellation?: Cancellation) => Promise<net.Socket>;

/** Schedules `callback` after `ms`; returns a function that cancels it. */
export type SetTimer = (callback: () => void, ms: number) => () => void;

export interface ConnectorOptions {
  /** Timer used for the connect timeout; injected by tests so that no test waits for real time. */
  setTimer?: SetTimer | undefined;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** A real timer that does not keep the process alive on its own: the socket it guards does that. */
export const unrefTimer: SetTimer = (callback, ms) => {
  const t = setTimeout(callback, ms);
  t.unref();
  return () => clearTimeout(t);
};

export function createConnector(options: ConnectorOptions = {}): Connector {
  const setTimer = options.setTimer ?? unrefTimer;
  return (target, cancellation) => connectTo(target, cancellation, setTimer);
}

function ignoreError(): void {
  // See Connector: errors after connect are read from `socket.errored` by whoever owns the socket.
}

/**
 * Starts the TCP connection, and for ssl:// the TLS handshake, without waiting for either. Shared with the
 * WebSocket connector, which opens its ws:// and wss:// sockets the same way.
 */
export function openSocket(target: UpstreamTarget): net.Socket {
  if (target.scheme === 'ssl') {
    const given = target.tls ?? {};
    // Node refuses an IP address as SNI name (RFC 6066 §3), so only host names are sent by default.
    const servername = given.servername ?? (net.isIP(target.host) === 0 ? target.host : undefined);
    // tls.connect hands its options to net.Socket#connect, which reads localAddress, and to the socket it makes,
    // which reads allowHalfOpen; the typings omit both.
    const options: tls.ConnectionOptions & { localAddress?: string | undefined; allowHalfOpen: boolean } = {
      ...given,
      servername,
      host: target.host,
      port: target.port,
      localAddress: target.localAddress,
      lookup: target.addresses?.lookup,
      // As for tcp:// below: a backend that ends its side first still gets what the client sends after.
      allowHalfOpen: true,
    };
    const socket = tls.connect(options);
    // A TLSSocket takes no socket options of its own, and options set before it connects are applied twice, once
    // when the descriptor is made and once after the connect: nine system calls for five.
    socket.once('connect', tuneConnected);
    return socket;
  }
  // Half-open allowed: a client's FIN is passed on, and what the backend still sends after it is delivered.
  return net.connect({ host: target.host, port: target.port, localAddress: target.localAddress, lookup: target.addresses?.lookup, allowHalfOpen: true, ...TUNING });
}

/**
 * No Nagle delay: the copy loop forwards each WebSocket message as it arrives, and Nagle plus delayed ACKs would hold
 * small request/response exchanges back by up to 40 ms. TCP keep-alive: a backend that vanished behind a NAT or
 * firewall would otherwise go unnoticed for as long as it stays quiet. Both are applied once the socket connects.
 */
const TUNING = { noDelay: true, keepAlive: true, keepAliveInitialDelay: KEEPALIVE_DELAY_MS } as const;

function tuneConnected(this: net.Socket): void {
  this.setNoDelay(TUNING.noDelay);
  this.setKeepAlive(TUNING.keepAlive, TUNING.keepAliveInitialDelay);
}

function connectTo(target: UpstreamTarget, cancellation: Cancellation | undefined, setTimer: SetTimer): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    if (cancellation?.cancelled) {
      reject(aborted(target, cancellation.reason));
      return;
    }
    let socket: net.Socket;
    try {
      socket = openSocket(target);
    } catch (e) {
      // Synchronous throws are bad options (a port out of range, an unusable TLS option).
      reject(connectFailed(target, e, false));
      return;
    }
    const timeoutMs = target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const readyEvent = target.scheme === 'ssl' ? 'secureConnect' : 'connect';
    // A TLSSocket emits 'connect' when TCP is up: failures after it belong to the handshake.
    let tcpUp = false;
    let settled = false;

    const cleanup = (): void => {
      cancelTimer();
      cancellation?.offCancel(onAbort);
      socket.removeListener('connect', onTcpConnect);
      socket.removeListener(readyEvent, onReady);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
    };
    const fail = (err: GatewayError, byBackend = true): void => {
      if (settled) return;
      settled = true;
      cleanup();
      // A backend not reached may have moved: the next connect looks its name up again.
      if (byBackend && !tcpUp) target.addresses?.forget();
      socket.on('error', ignoreError);
      socket.destroy();
      reject(err);
    };
    function onTcpConnect(): void {
      tcpUp = true;
    }
    function onReady(): void {
      if (settled) return;
      settled = true;
      cleanup();
      socket.on('error', ignoreError);
      resolve(socket);
    }
    function onError(err: Error): void {
      fail(connectFailed(target, err, tcpUp));
    }
    function onClose(): void {
      fail(
        tcpUp && target.scheme === 'ssl'
          ? new GatewayError('GW_ERR_UPSTREAM_TLS', `TLS handshake with ${target.uri} failed: the backend closed the connection`)
          : new GatewayError('GW_ERR_UPSTREAM_CONNECT', `Connection to ${target.uri} failed: closed before it was established`),
      );
    }
    function onAbort(reason: unknown): void {
      fail(aborted(target, reason), false);
    }
    function onTimeout(): void {
      fail(
        tcpUp && target.scheme === 'ssl'
          ? new GatewayError('GW_ERR_UPSTREAM_TLS', `TLS handshake with ${target.uri} timed out after ${timeoutMs} ms`)
          : new GatewayError('GW_ERR_UPSTREAM_CONNECT', `Connection to ${target.uri} timed out after ${timeoutMs} ms`),
      );
    }

    const cancelTimer = setTimer(onTimeout, timeoutMs);
    cancellation?.onCancel(onAbort);
    socket.on('connect', onTcpConnect);
    socket.on(readyEvent, onReady);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}

function aborted(target: UpstreamTarget, reason: unknown): GatewayError {
  return new GatewayError('GW_ERR_UPSTREAM_CONNECT', `Connection to ${target.uri} aborted`, { cause: reason });
}

/** The `code` of a system or OpenSSL error (`ECONNREFUSED`, `CERT_HAS_EXPIRED`), if it has one. */
export function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function connectFailed(target: UpstreamTarget, e: unknown, tcpUp: boolean): GatewayError {
  const code = errorCode(e);
  const detail = e instanceof Error ? e.message : String(e);
  if (tcpUp && target.scheme === 'ssl') {
    // Verification failures carry OpenSSL's name (UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED…) as code.
    const what = code !== undefined && code !== detail ? `${code} (${detail})` : detail;
    return new GatewayError('GW_ERR_UPSTREAM_TLS', `TLS handshake with ${target.uri} failed: ${what}`, { cause: e, hint: untrustedBackendHint(code) });
  }
  return new GatewayError('GW_ERR_UPSTREAM_CONNECT', `Connection to ${target.uri} failed: ${code ?? detail}`, { cause: e });
}
