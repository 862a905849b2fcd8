/**
 * The TCP options every accepted connection gets: Nagle's algorithm off, so that small WebSocket frames do not wait
 * on it (with delayed ACKs that is tens of milliseconds), and keep-alive probes, which find clients that vanished
 * without a FIN when no inactivity timeout is configured.
 *
 * Linux gives an accepted socket the options of the socket it was accepted on, so there they are set once, on the
 * listening socket, instead of with five system calls on every connection (setsockopt for TCP_NODELAY,
 * SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT; docs/PERFORMANCE.md). Elsewhere, and where the
 * listening socket is not this process's own (a cluster worker is handed connections the primary accepted), each
 * socket gets them as it is accepted.
 */
import type { Server, Socket } from 'node:net';
import { KEEPALIVE_DELAY_MS } from '../upstream/tcp-keepalive.js';

/** The listening socket's libuv handle, as node keeps it: its methods return 0 or a negative errno. */
interface ListeningHandle {
  setNoDelay(on: boolean): number;
  setKeepAlive(on: boolean, delaySeconds: number): number;
}

function listeningHandle(server: Server): ListeningHandle | undefined {
  const handle = (server as unknown as { _handle?: Partial<ListeningHandle> | null })._handle;
  return typeof handle?.setNoDelay === 'function' && typeof handle.setKeepAlive === 'function' ? (handle as ListeningHandle) : undefined;
}

/**
 * Sets the options on a bound server's listening socket, for its connections to inherit. False where they are not
 * inherited, or could not be set: then setOnSocket() must be called on every connection.
 */
export function setOnListener(server: Server, platform: NodeJS.Platform = process.platform): boolean {
  if (platform !== 'linux') return false;
  const handle = listeningHandle(server);
  if (handle === undefined) return false;
  return handle.setNoDelay(true) === 0 && handle.setKeepAlive(true, Math.floor(KEEPALIVE_DELAY_MS / 1000)) === 0;
}

/** Sets the options on one accepted connection. */
export function setOnSocket(socket: Socket): void {
  socket.setNoDelay(true);
  socket.setKeepAlive(true, KEEPALIVE_DELAY_MS);
}
