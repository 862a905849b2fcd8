import type { WebSocket } from 'ws';

/** How long a stopping service waits for clients to answer its close frame before dropping them. */
const CLOSE_GRACE_MS = 2000;

/** Closes every WebSocket with 1001 (going away) and resolves once all are closed or the grace period ran out. */
export function closeAll(sockets: Set<WebSocket>): Promise<void> {
  if (sockets.size === 0) return Promise.resolve();
  const closing = [...sockets].map(
    (ws) =>
      new Promise<void>((resolve) => {
        if (ws.readyState === ws.CLOSED) return resolve();
        const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
        timer.unref();
        ws.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        ws.close(1001, 'gateway shutting down');
      }),
  );
  return Promise.all(closing).then(() => undefined);
}
