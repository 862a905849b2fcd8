import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';

/**
 * Answers a refused upgrade on the raw socket and closes it. The body says why in one line, so a person trying the
 * URL with curl sees the reason rather than a bare status.
 */
export function refuseUpgrade(socket: Duplex, status: number, message: string, headers: Readonly<Record<string, string>> = {}): void {
  if (socket.destroyed) return;
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('') +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      '\r\n' +
      body,
  );
}
