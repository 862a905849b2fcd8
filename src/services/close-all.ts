/**
 * Closing a client the service still owns (stopping, a backend that could not be reached), bounded in time: a
 * close frame or FIN, then the end is destroyed if the client has not finished closing within the grace period.
 */
import { CLOSE_ABNORMAL } from '../pipe/close.js';
import type { End } from '../pipe/ends.js';

/** How long a client has to answer a close before it is dropped. */
const CLOSE_GRACE_MS = 2000;

/**
 * Closes an end nothing else is attached to and resolves, once it is closed, with the close code it ended with
 * (a WebSocket's; undefined for a byte stream; 1006 when it had to be dropped).
 */
export function closeWithDeadline(end: End, code: number, reason: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    let ended: number | undefined = CLOSE_ABNORMAL;
    const timer = setTimeout(() => end.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    end.attach({
      data: () => undefined,
      ended: (ending) => {
        ended = end.kind === 'messages' ? (ending.lost ? CLOSE_ABNORMAL : ending.code) : undefined;
      },
      failed: () => undefined,
      closed: () => {
        clearTimeout(timer);
        end.detach();
        resolve(ended);
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
