/**
 * Every wait in the tests has a deadline, so that a regression fails naming what it waited for instead of hanging
 * until the runner gives up on the whole file. TEST_WAIT_MS raises the default deadline on a slow machine.
 */
import { once, type EventEmitter } from 'node:events';

const fromEnv = Number(process.env['TEST_WAIT_MS']);

/** The default deadline of a wait, in milliseconds. */
export const WAIT_MS = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 10_000;

/**
 * Settles as `promise` does, or rejects with `timed out after MS ms waiting for WHAT` once `ms` have passed.
 * The timer does not keep the process alive, so a wait that lost a race never holds a test file open; a wait left
 * with nothing else alive fails at once, as node's runner reports a promise pending when the event loop empties.
 * (So a wait on something driven only by unref'd timers needs a timer of its own, as crl-watch.test.ts has.)
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms).unref();
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * `events.once` with a deadline: resolves with the event's arguments, rejects on an `error` event as `once` does,
 * or when the deadline passes. `what` defaults to the emitter's class and the event, as in `Socket 'close'`.
 */
export function event<T extends unknown[] = unknown[]>(
  emitter: EventEmitter,
  name: string,
  what = `${emitter.constructor.name} '${name}'`,
  ms = WAIT_MS,
): Promise<T> {
  return withDeadline(once(emitter, name) as Promise<T>, ms, what);
}

/** One turn of the event loop: what was queued before it (I/O callbacks, immediates) has run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Waits turn by turn of the event loop until `done()` holds, for something that moves a little each turn (a reader
 * that reads a run of frames a turn) rather than on an event; fails naming `what` once `ms` have passed, and stops
 * turning then, so that a wait that failed does not keep the process busy.
 */
export async function turnsUntil(done: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await nextTurn();
  }
}
