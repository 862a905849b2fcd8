/**
 * Which `Sec-WebSocket-Protocol` a client is answered with. Where the backend is a WebSocket, it chose, and the
 * client is told that choice (none included); elsewhere the first protocol the client offered is accepted, as the
 * `ws` library does by default.
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

/** The protocols a client offered, in order. */
export function offeredProtocols(request: IncomingMessage): string[] {
  const header = request.headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}
