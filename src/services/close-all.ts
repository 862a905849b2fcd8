import type { WebSocket } from 'ws';

/** How long a stopping service waits for clients to answer its close frame before dropping them. */
const CLOSE_GRACE_MS = 2000;

/**
 * Sends a close frame and resolves once the client answered it, or after the grace period, when it is dropped.
 * Resolves with the close code the connection ended with: 1006 when the client never answered.
 */
export function closeWithDeadline(ws: WebSocket, code: number, reason: string): Promise<number> {
  return new Promise<number>((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve(1006);
    const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    timer.unref();
    ws.once('close', (closedWith: number) => {
      clearTimeout(timer);
      resolve(closedWith);
    });
    // A socket paused for backpressure or while connecting would never read the client's answering close frame.
    if (ws.isPaused) ws.resume();
    ws.close(code, reason);
  });
}

/** Closes every WebSocket with 1001 (going away) and resolves once all are closed or the grace period ran out. */
export async function closeAll(sockets: ReadonlySet<WebSocket>): Promise<void> {
  await Promise.all([...sockets].map((ws) => closeWithDeadline(ws, 1001, 'gateway shutting down')));
}
