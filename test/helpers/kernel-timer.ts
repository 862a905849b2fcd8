/**
 * The kernel's own view of a connected IPv4 socket's timer, from /proc/net/tcp (Node has no getter for
 * SO_KEEPALIVE). Timer 2 is the keep-alive timer, in USER_HZ ticks (100 a second); an idle socket without
 * keep-alive shows timer 0. Unacknowledged data shows timer 1 instead, so the caller first completes a round trip.
 */
import { readFileSync } from 'node:fs';

/** The timer of the socket whose local and remote ports these are. */
export function kernelTimer(localPort: number | undefined, remotePort: number | undefined): { timer: number; seconds: number } {
  const port = (n: number | undefined): string => `:${(n ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const [, local, remote, , , timer] = line.trim().split(/\s+/);
    if (local?.endsWith(port(localPort)) && remote?.endsWith(port(remotePort)) && timer) {
      const [kind = '', when = ''] = timer.split(':');
      return { timer: parseInt(kind, 16), seconds: parseInt(when, 16) / 100 };
    }
  }
  throw new Error(`no line for local port ${localPort} and remote port ${remotePort} in /proc/net/tcp`);
}

/** For tests that read /proc/net/tcp. */
export const linuxOnly = { skip: process.platform !== 'linux' ? 'reads /proc/net/tcp' : false };
