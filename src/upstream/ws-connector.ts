/**
 * Opens the WebSocket to a `ws://` or `wss://` backend with the `ws` library's client, and resolves once the
 * upgrade succeeded. Like connector.ts it is a plain function made by a factory, so callers and tests can wrap it;
 * it knows nothing of the configuration: the caller computes the headers, the subprotocols to offer and, for
 * wss://, the TLS options (src/tls/client.ts).
 *
 * Choices made for a gateway rather than a browser-like client:
 * - No compression (`perMessageDeflate: false`) and no redirects (a 3xx is a refusal like any other status).
 * - `ws` never pings on its own; it does answer the backend's pings (its `autoPong` default), which keeps a
 *   backend's keep-alive working whatever the client does.
 * - The socket is opened here (`createConnection`), with exactly the options connector.ts uses for tcp:// and
 *   ssl://, so the TLS options reach `tls.connect` unmixed with the HTTP request's, and so that every failure can
 *   be put down to the phase it happened in: TCP, TLS, waiting for the answer to the upgrade, or the answer.
 * - Subprotocols are offered and checked here rather than by `ws`. RFC 6455 §4.1 lets a server choose none of the
 *   offered subprotocols, but `ws` refuses that answer ("Server sent no subprotocol"), while a proxy must accept
 *   it and tell its own client that none was chosen.
 */
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type tls from 'node:tls';
import WebSocket from 'ws';
import { GatewayError } from '../errors.js';
import { untrustedBackendHint } from '../tls/untrusted.js';
import type { Cancellation } from './cancellation.js';
import type { HostAddresses } from './resolver.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, errorCode, openSocket, unrefTimer, type ConnectorOptions, type SetTimer } from './connector.js';
import { hasPlainTextBody, quoteRefusalBody, readRefusalBody } from './refusal-body.js';

export interface WebSocketTarget {
  /** The URI as configured (`ws://app:8080/x`), used in every message. */
  uri: string;
  scheme: 'ws' | 'wss';
  host: string;
  port: number;
  /** The request target: the path (and query, if any), starting with `/`. */
  path: string;
  /** Local address to connect from (`tcp.bind`); undefined lets the system choose. */
  localAddress?: string | undefined;
  /**
   * For wss:// only, built by the caller and used as given (a prebuilt `secureContext`, `servername`,
   * `rejectUnauthorized: true`…). When it sets no `servername`, SNI is the target host unless that host is an IP.
   */
  tls?: tls.ConnectionOptions | undefined;
  /** Gives up when the upgrade has not succeeded in this time (connect, TLS and the HTTP exchange). Default 10 s. */
  connectTimeoutMs?: number | undefined;
  /** How `host` is resolved when it is a name (resolver.ts); undefined: looked up at every connect. */
  addresses?: HostAddresses | undefined;
}

export interface UpgradeHeader {
  readonly name: string;
  readonly value: string;
}

export interface WebSocketUpgrade {
  /** Sent with the upgrade request in this order; a name may repeat (each value is sent on its own line). */
  readonly headers: readonly UpgradeHeader[];
  /** Offered in `Sec-WebSocket-Protocol`, in this order; empty offers none. */
  readonly subprotocols: readonly string[];
  /** Largest message accepted from the backend, in bytes (0 = no limit, as in `ws`). */
  readonly maxPayload: number;
}

export interface UpstreamWebSocket {
  /** Open; keeps one no-op 'error' listener (see WebSocketConnector). */
  readonly websocket: WebSocket;
  /** The subprotocol the backend chose, `''` when none. Read it here: `websocket.protocol` stays `''`. */
  readonly protocol: string;
  /** The backend answered HALF_CLOSE_HEADER: it reads what it is sent after its own close frame. */
  readonly halfClose: boolean;
}

/**
 * Sent with every upgrade request, and answered by a gateway to a client that sent it: "I read what I am sent after
 * my own close frame, until the close comes back". Two gateways (or `gateway connect` and a gateway) that both say
 * so pass a TCP half-close across the WebSocket: a close frame becomes the FIN it stood for, and its answer waits
 * for the other direction to end (pipe/ends.ts).
 */
export const HALF_CLOSE_HEADER = 'X-Gateway-Half-Close';

/**
 * How long ws waits, after this side's close frame, for the peer's, before it cuts the connection: for the
 * gateway's WebSockets on either side. Across a half-close the answer may be long in coming (a long response on
 * the far side); the pipe's own close deadline, which counts from the last byte forwarded, bounds the wait instead.
 */
export const CLOSE_HANDSHAKE_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Resolves once the backend accepted the upgrade. Rejects with GatewayError:
 * - GW_ERR_UPSTREAM_CONNECT: refused, unreachable, closed before answering, timed out, or aborted;
 * - GW_ERR_UPSTREAM_TLS: the wss:// handshake failed or the certificate did not verify (naming OpenSSL's reason);
 * - GW_ERR_UPSTREAM_HANDSHAKE: the backend answered the upgrade with an HTTP status
 *   (`ws://app:8080/x answered the upgrade with 403 Forbidden`, with its text/plain body quoted when it came before
 *   the deadline: `…403 Forbidden: "client certificate refused (CERT_HAS_EXPIRED)."`), chose a subprotocol that was
 *   not offered, or sent a malformed handshake;
 * - GW_ERR_INTERNAL: the caller asked for a header the handshake itself sets, or for a subprotocol that is not a
 *   token.
 * The original error is the `cause`. Honors the cancellation.
 *
 * The resolved WebSocket keeps one no-op 'error' listener, so that an error arriving before the caller attaches
 * its own cannot crash the process; its 'close' event still reports what happened.
 */
export type WebSocketConnector = (target: WebSocketTarget, upgrade: WebSocketUpgrade, cancellation?: Cancellation) => Promise<UpstreamWebSocket>;

/** Header names the handshake sets itself (lower case); asking to send one is refused. */
export const UPGRADE_HEADER_NAMES: ReadonlySet<string> = new Set([
  'connection',
  'upgrade',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
]);

export function createWebSocketConnector(options: ConnectorOptions = {}): WebSocketConnector {
  const setTimer = options.setTimer ?? unrefTimer;
  return (target, upgrade, cancellation) => connectTo(target, upgrade, cancellation, setTimer);
}

function ignoreError(): void {
  // See WebSocketConnector: whoever owns the WebSocket learns of its end from 'close'.
}

// RFC 6455 §4.1: each subprotocol is an RFC 7230 token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Node sends an array value as one header line per value; names are grouped case-insensitively. */
function requestHeaders(target: WebSocketTarget, upgrade: WebSocketUpgrade): Record<string, string | string[]> {
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  const spelling = new Map<string, string>();
  for (const { name, value } of upgrade.headers) {
    const lower = name.toLowerCase();
    if (UPGRADE_HEADER_NAMES.has(lower)) {
      throw new GatewayError('GW_ERR_INTERNAL', `the header "${name}" is set by the WebSocket handshake itself and cannot be sent to ${target.uri}`);
    }
    const key = spelling.get(lower) ?? name;
    spelling.set(lower, key);
    (out[key] ??= []).push(value);
  }
  const seen = new Set<string>();
  for (const protocol of upgrade.subprotocols) {
    if (!TOKEN.test(protocol) || seen.has(protocol)) {
      throw new GatewayError('GW_ERR_INTERNAL', `subprotocol "${protocol}" for ${target.uri} is not a token, or is offered twice`);
    }
    seen.add(protocol);
  }
  if (upgrade.subprotocols.length > 0) out['Sec-WebSocket-Protocol'] = [upgrade.subprotocols.join(', ')];
  out[HALF_CLOSE_HEADER] = ['1'];
  return out;
}

function requestUrl(target: WebSocketTarget): string {
  const host = net.isIPv6(target.host) ? `[${target.host}]` : target.host;
  return `${target.scheme}://${host}:${target.port}${target.path}`;
}

/** Where the attempt was when it failed: what each message and code names. */
type Phase = 'tcp' | 'tls' | 'awaiting answer' | 'answered';

function connectTo(
  target: WebSocketTarget,
  upgrade: WebSocketUpgrade,
  cancellation: Cancellation | undefined,
  setTimer: SetTimer,
): Promise<UpstreamWebSocket> {
  return new Promise<UpstreamWebSocket>((resolve, reject) => {
    if (cancellation?.cancelled) {
      reject(aborted(target, cancellation.reason));
      return;
    }
    let headers: Record<string, string | string[]>;
    try {
      headers = requestHeaders(target, upgrade);
    } catch (e) {
      reject(e);
      return;
    }

    const secure = target.scheme === 'wss';
    let socket: net.Socket | undefined;
    let tcpUp = false;
    let tlsUp = false;
    let answered = false;
    let chosen = '';
    let halfClose = false;
    let unoffered: string | undefined;
    /** Once the backend answered with a refusal: the error without its body, and how to stop reading the body. */
    let refusal: { readonly message: string; readonly stopReading: () => void } | undefined;
    let settled = false;
    const phase = (): Phase => {
      if (answered) return 'answered';
      if (!tcpUp) return 'tcp';
      return secure && !tlsUp ? 'tls' : 'awaiting answer';
    };
    const onTcpConnect = (): void => {
      tcpUp = true;
    };
    const onSecureConnect = (): void => {
      tlsUp = true;
    };
    const createConnection = (): net.Socket => {
      socket = openSocket({ ...target, scheme: secure ? 'ssl' : 'tcp' });
      socket.once('connect', onTcpConnect);
      if (secure) socket.once('secureConnect', onSecureConnect);
      return socket;
    };

    let websocket: WebSocket;
    try {
      websocket = new WebSocket(requestUrl(target), {
        // Node takes an array value as a repeated header; the typings know only strings.
        headers: headers as Record<string, string>,
        perMessageDeflate: false,
        followRedirects: false,
        // ws 8.23 reads it; its type declarations do not have it yet.
        ...({ closeTimeout: CLOSE_HANDSHAKE_TIMEOUT_MS } as object),
        maxPayload: upgrade.maxPayload,
        createConnection,
      });
    } catch (e) {
      // Synchronous throws are bad options: a malformed path, a header value with a line break.
      socket?.destroy();
      reject(failure(target, e, 'tcp', undefined, upgrade.subprotocols));
      return;
    }
    const ws = websocket;

    const cleanup = (): void => {
      cancelTimer();
      refusal?.stopReading();
      cancellation?.offCancel(onAbort);
      socket?.removeListener('connect', onTcpConnect);
      socket?.removeListener('secureConnect', onSecureConnect);
      ws.removeListener('upgrade', onUpgrade);
      ws.removeListener('unexpected-response', onUnexpectedResponse);
      ws.removeListener('open', onOpen);
      ws.removeListener('error', onError);
      ws.removeListener('close', onClose);
    };
    const fail = (err: GatewayError, byBackend = true): void => {
      if (settled) return;
      settled = true;
      cleanup();
      // A backend not reached may have moved: the next connect looks its name up again.
      if (byBackend && phase() === 'tcp') target.addresses?.forget();
      ws.on('error', ignoreError);
      // While CONNECTING this aborts the request and destroys its socket; afterwards it is a no-op.
      ws.terminate();
      reject(err);
    };
    function onUpgrade(response: IncomingMessage): void {
      // 'upgrade' is emitted before `ws` checks the answer, which is what lets the subprotocol be checked here.
      answered = true;
      halfClose = response.headers[HALF_CLOSE_HEADER.toLowerCase()] === '1';
      const protocol = response.headers['sec-websocket-protocol'];
      if (protocol === undefined) return;
      if (upgrade.subprotocols.includes(protocol)) {
        chosen = protocol;
        // `ws` offered none, so it would refuse any choice; the check is done (see the header comment).
        delete response.headers['sec-websocket-protocol'];
      } else {
        // Left in place: `ws` refuses the answer and onError names the subprotocol.
        unoffered = protocol;
      }
    }
    function onUnexpectedResponse(_request: unknown, response: IncomingMessage): void {
      const status = `${response.statusCode ?? '?'} ${response.statusMessage ?? ''}`.trim();
      const message = `${target.uri} answered the upgrade with ${status}`;
      if (!hasPlainTextBody(response)) {
        fail(new GatewayError('GW_ERR_UPSTREAM_HANDSHAKE', message));
        return;
      }
      // The body is read under the deadline already running: one that is slow or never comes costs no more time, and
      // the refusal is then reported without it (refused()).
      refusal = {
        message,
        stopReading: readRefusalBody(response, (body) => {
          const quoted = quoteRefusalBody(body, response.statusMessage ?? '');
          fail(new GatewayError('GW_ERR_UPSTREAM_HANDSHAKE', quoted === undefined ? message : `${message}: ${quoted}`));
        }),
      };
    }
    /** The refusal without its body, when the deadline or the connection's end comes first. */
    function refused(): GatewayError | undefined {
      return refusal && new GatewayError('GW_ERR_UPSTREAM_HANDSHAKE', refusal.message);
    }
    function onOpen(): void {
      if (settled) return;
      settled = true;
      cleanup();
      ws.on('error', ignoreError);
      // Paused until whoever takes it attaches (ends.ts resumes it then): a backend that speaks first may have sent
      // its first message with the 101, and it would be read, and lost, before anyone listens for messages.
      ws.pause();
      resolve({ websocket: ws, protocol: chosen, halfClose });
    }
    function onError(err: Error): void {
      fail(refused() ?? failure(target, err, phase(), unoffered, upgrade.subprotocols));
    }
    function onClose(): void {
      fail(refused() ?? new GatewayError('GW_ERR_UPSTREAM_CONNECT', `Connection to ${target.uri} failed: closed before the upgrade succeeded`));
    }
    function onAbort(reason: unknown): void {
      fail(aborted(target, reason), false);
    }
    function onTimeout(): void {
      fail(refused() ?? timedOut(target, phase(), timeoutMs));
    }

    const timeoutMs = target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const cancelTimer = setTimer(onTimeout, timeoutMs);
    cancellation?.onCancel(onAbort);
    ws.on('upgrade', onUpgrade);
    ws.on('unexpected-response', onUnexpectedResponse);
    ws.on('open', onOpen);
    ws.on('error', onError);
    ws.on('close', onClose);
  });
}

function aborted(target: WebSocketTarget, reason: unknown): GatewayError {
  return new GatewayError('GW_ERR_UPSTREAM_CONNECT', `Connection to ${target.uri} aborted`, { cause: reason });
}

function timedOut(target: WebSocketTarget, phase: Phase, ms: number): GatewayError {
  switch (phase) {
    case 'tls':
      return new GatewayError('GW_ERR_UPSTREAM_TLS', `TLS handshake with ${target.uri} timed out after ${ms} ms`);
    case 'tcp':
      return new GatewayError('GW_ERR_UPSTREAM_CONNECT', `Connection to ${target.uri} timed out after ${ms} ms`);
    default:
      return new GatewayError('GW_ERR_UPSTREAM_CONNECT', `Connection to ${target.uri} timed out after ${ms} ms: the upgrade was not answered`);
  }
}

/** Node's HTTP parser's codes for an answer that does not begin as HTTP does. */
const NOT_HTTP = new Set(['HPE_INVALID_CONSTANT', 'HPE_INVALID_VERSION', 'HPE_INVALID_STATUS']);

function failure(target: WebSocketTarget, e: unknown, phase: Phase, unoffered: string | undefined, offered: readonly string[]): GatewayError {
  const code = errorCode(e);
  const detail = e instanceof Error ? e.message : String(e);
  switch (phase) {
    case 'answered': {
      if (unoffered !== undefined) {
        const list = offered.length > 0 ? `offered: ${offered.join(', ')}` : 'none was offered';
        return new GatewayError('GW_ERR_UPSTREAM_HANDSHAKE', `${target.uri} chose subprotocol "${unoffered}", which was not offered (${list})`, { cause: e });
      }
      return new GatewayError('GW_ERR_UPSTREAM_HANDSHAKE', `${target.uri} answered the upgrade with an invalid handshake: ${detail}`, { cause: e });
    }
    case 'tls': {
      // Verification failures carry OpenSSL's name (UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED…) as code.
      const what = code !== undefined && code !== detail ? `${code} (${detail})` : detail;
      return new GatewayError('GW_ERR_UPSTREAM_TLS', `TLS handshake with ${target.uri} failed: ${what}`, { cause: e, hint: untrustedBackendHint(code) });
    }
    case 'awaiting answer':
      // With TLS 1.3 a server refuses the client's certificate (or its lack of one) after the client has finished its
      // handshake: the refusal comes as an alert while the upgrade waits, and is a TLS failure all the same.
      if (code?.startsWith('ERR_SSL_') === true) {
        return new GatewayError('GW_ERR_UPSTREAM_TLS', `TLS handshake with ${target.uri} failed: ${code}`, { cause: e, hint: untrustedBackendHint(code) });
      }
      // Node's HTTP parser could not read even a status line: what answered is no HTTP server. Still a failed
      // connect, as before (the backend's recovery counts it), with the parser's code explained.
      if (code !== undefined && NOT_HTTP.has(code)) {
        return new GatewayError('GW_ERR_UPSTREAM_CONNECT', `Connection to ${target.uri} failed before the upgrade was answered: the answer is not HTTP (${code}): is a WebSocket server listening on that port?`, { cause: e });
      }
      return new GatewayError('GW_ERR_UPSTREAM_CONNECT', `Connection to ${target.uri} failed before the upgrade was answered: ${code ?? detail}`, { cause: e });
    case 'tcp':
      return new GatewayError('GW_ERR_UPSTREAM_CONNECT', `Connection to ${target.uri} failed: ${code ?? detail}`, { cause: e });
  }
}
