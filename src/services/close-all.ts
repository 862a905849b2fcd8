/**
 * Closing a client the service still owns (stopping, a backend that could not be reached), bounded in time: a
 * close frame or FIN, then the end is destroyed if the client has not finished closing within the grace period.
 */
import type { End } from '../pipe/ends.js';

/** How long a client has to answer a close before it is dropped. */
const CLOSE_GRACE_MS = 2000;

/**
 * Closes an end nothing else is attached to and resolves once it is closed, with the code the client was sent
 * (what its close line says: the gateway closed it; undefined for a byte stream). A client that does not answer
 * within the grace period is dropped.
 */
export function closeWithDeadline(end: End, code: number | undefined, reason: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => end.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    end.attach({
      data: () => undefined,
      ended: () => undefined,
      failed: () => undefined,
      closed: () => {
        clearTimeout(timer);
        end.detach();
        resolve(end.kind === 'messages' ? code : undefined);
      },
    });
    end.close(code, reason);
  });
}

/**
 * Closes every client of a stopping service (1001, going away, to WebSocket clients; a FIN to byte streams) and
 * resolves when `finished` does; a client that has not finished closing after the grace period is dropped.
 */
export async function closeAll(ends: ReadonlySet<End>, finished: () => Promise<unknown>): Promise<void> {
  for (const end of ends) end.close(1001, 'gateway shutting down');
  const timer = setTimeout(() => {
    for (const end of ends) end.destroy();
  }, CLOSE_GRACE_MS);
  timer.unref();
  try {
    await finished();
  } finally {
    clearTimeout(timer);
  }
}
