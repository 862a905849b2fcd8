/**
 * Failed logins counted by client address, so that a realm's passwords and tokens cannot be tried at the speed of
 * the network: after LIMIT failures from one address within WINDOW_MS, that address is answered 429 until the window
 * its first failure began ends. By address, not by user: a lockout by user name would let anyone lock a user out. Counted per realm,
 * in each process, from its start or the last reload.
 */

/** Failures one address may have within a window before it must wait. */
export const LIMIT = 20;
export const WINDOW_MS = 60_000;
/** Addresses remembered at most: the oldest window is forgotten first. */
const MAXIMUM_ADDRESSES = 10_000;

interface Window {
  readonly startedAt: number;
  failures: number;
}

export class LoginFailures {
  readonly #windows = new Map<string, Window>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** How long `address` must wait before it may try again, in ms; 0 when it may now. */
  waitFor(address: string): number {
    const window = this.#windows.get(address);
    if (window === undefined || window.failures < LIMIT) return 0;
    return Math.max(0, window.startedAt + WINDOW_MS - this.#now());
  }

  /** A login from `address` failed. */
  failed(address: string): void {
    const now = this.#now();
    const window = this.#windows.get(address);
    if (window !== undefined && now - window.startedAt < WINDOW_MS) {
      window.failures++;
      return;
    }
    this.#windows.delete(address);
    if (this.#windows.size >= MAXIMUM_ADDRESSES) this.#windows.delete(this.#windows.keys().next().value as string);
    this.#windows.set(address, { startedAt: now, failures: 1 });
  }

  /** A login from `address` passed: its failures are forgiven. */
  passed(address: string): void {
    this.#windows.delete(address);
  }
}
