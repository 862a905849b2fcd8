/**
 * What a WebSocket upgrade request must be, beyond what Node's HTTP parser checks, and which `Sec-WebSocket-Protocol`
 * a client is answered with. Where the backend is a WebSocket, it chose, and the client is told that choice (none
 * included); elsewhere the first protocol the client offered is accepted, as the `ws` library does by default.
 */
import type { IncomingMessage } from 'node:http';

const chosen = new WeakMap<IncomingMessage, string>();

/** Records the backend's choice for this request ('' for none). */
export function chooseProtocol(request: IncomingMessage, protocol: string): void {
  chosen.set(request, protocol);
}

/** For `WebSocketServer`'s `handleProtocols` option. */
export function handleProtocols(offered: Set<string>, request: IncomingMessage): string | false {
  if (chosen.has(request)) return chosen.get(request) || false;
  const first = offered.values().next();
  return first.done ? false : first.value;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const KEY = /^[+/0-9A-Za-z]{22}==$/;

/**
 * What makes an upgrade request one the WebSocket layer would refuse (RFC 6455 §4.2.1), checked before a backend
 * is connected for it: a malformed request must not cost a backend connection carrying the client's identity.
 */
export function upgradeProblem(request: IncomingMessage): string | undefined {
  if (request.method !== 'GET') return 'the method must be GET';
  if (!KEY.test(request.headers['sec-websocket-key'] ?? '')) return 'Sec-WebSocket-Key is missing or invalid';
  const version = request.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') return 'Sec-WebSocket-Version must be 13';
  const offered = offeredProtocols(request);
  if (offered.some((p) => !TOKEN.test(p)) || new Set(offered).size !== offered.length) return 'Sec-WebSocket-Protocol is invalid';
  return undefined;
}

/** The protocols a client offered, in order. */
export function offeredProtocols(request: IncomingMessage): string[] {
  const header = request.headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/**
 * What an upgrade request may not be, that Node's HTTP parser lets through; undefined when it is none of these.
 * - HTTP/1.0: RFC 6455 §4.1 asks for HTTP/1.1 or later.
 * - Two Host headers: RFC 9112 §3.2 answers 400; Node keeps the first, and a proxy in front may have routed by another.
 * - A body: the bytes after the request would be read as the client's first frames.
 */
export function upgradeRequestProblem(req: IncomingMessage): string | undefined {
  if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) return 'a WebSocket upgrade needs HTTP/1.1';
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === 'host') hosts++;
  if (hosts > 1) return 'more than one Host header';
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')) return 'an upgrade request has no body';
  return undefined;
}
