import type { WebSocket } from 'ws';

/** How long a stopping service waits for clients to answer its close frame before dropping them. */
const CLOSE_GRACE_MS = 2000;

/** Sends a close frame and resolves once the client answered it, or after the grace period, when it is dropped. */
export function closeWithDeadline(ws: WebSocket, code: number, reason: string): Promise<void> {
  return new Promise<void>((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve();
    const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    timer.unref();
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.close(code, reason);
  });
}

/** Closes every WebSocket with 1001 (going away) and resolves once all are closed or the grace period ran out. */
export async function closeAll(sockets: Set<WebSocket>): Promise<void> {
  await Promise.all([...sockets].map((ws) => closeWithDeadline(ws, 1001, 'gateway shutting down')));
}
