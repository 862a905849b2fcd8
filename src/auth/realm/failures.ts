/**
 * Failed passwords counted by client address, so that a realm's passwords cannot be tried at the speed of the
 * network: after LIMIT failures from one address within WINDOW_MS, a password from that address is answered 429
 * until the window its first failure began ends.
 *
 * Only passwords (Basic credentials) are counted and held. They are what a person chooses and an attacker can guess;
 * tokens and certificate tickets are long random or signed values, and counting them would let a stale cookie, or a
 * page of another site that makes the browser send a query parameter, hold the address of every user behind it. A
 * page of another site cannot make a browser send an Authorization header. By address, not by user: a lockout by
 * user name would let anyone lock a user out. Counted per realm, in each process, from its start or the last reload.
 */
import { isIP } from 'node:net';

/** Failures one address may have within a window before it must wait. */
export const LIMIT = 20;
export const WINDOW_MS = 60_000;
/**
 * Addresses counted one by one at most. Past it (a client with that many addresses, a botnet), the failures of every
 * further address are counted together, as one address's, until the oldest window has ended: its many addresses give
 * it no more tries than one, and a client new while they do waits as they do, for as long as the attack keeps the
 * places taken.
 */
export const MAXIMUM_ADDRESSES = 10_000;

interface Window {
  readonly startedAt: number;
  failures: number;
}

/**
 * What failures are counted under: an IPv4 address (also when a dual-stack socket writes it IPv4-mapped), or an IPv6
 * address's /64, which one host commonly holds whole, so that a client cannot make itself a new address per try.
 */
export function addressKey(address: string): string {
  const plain = address.replace(/%.*$/, '');
  // IPv4-mapped (a dual-stack socket's IPv4 client) and NAT64's well-known prefix: the IPv4 client itself.
  const embedded = /^(?:::ffff|64:ff9b:):(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (embedded) return embedded[1] as string;
  if (isIP(plain) !== 6) return plain;
  const [head = '', tail] = plain.split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back];
  return `${all.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

export class LoginFailures {
  readonly #windows = new Map<string, Window>();
  /** The failures of the addresses not counted one by one (MAXIMUM_ADDRESSES). */
  #others: Window | undefined;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** How long `address` must wait before it may try a password again, in ms; 0 when it may now. */
  waitFor(address: string): number {
    const now = this.#now();
    const key = addressKey(address);
    const window = this.#windowOf(key, now);
    if (window === undefined || window.failures < LIMIT) return 0;
    let until = window.startedAt + WINDOW_MS;
    // Counted with the others: counted on its own, with a place of its own, once the oldest window ends.
    if (window === this.#others) {
      const [oldest] = this.#windows;
      if (oldest !== undefined) until = Math.min(until, oldest[1].startedAt + WINDOW_MS);
    }
    return Math.max(0, until - now);
  }

  /** The window `key` counts in now: its own, or, while every place is taken by a window not ended, the others'. */
  #windowOf(key: string, now: number): Window | undefined {
    const own = this.#windows.get(key);
    if (own !== undefined || !this.#full(now)) return own;
    return this.#others !== undefined && now - this.#others.startedAt < WINDOW_MS ? this.#others : undefined;
  }

  /** Every place is taken by a window that has not ended (windows are kept in the order they began). */
  #full(now: number): boolean {
    if (this.#windows.size < MAXIMUM_ADDRESSES) return false;
    const [oldest] = this.#windows;
    return oldest !== undefined && now - oldest[1].startedAt < WINDOW_MS;
  }

  /**
   * A password from `address` is being tried: counted as failed before it is checked, so that tries made at once
   * cannot all pass the limit while the first are checked. passed() takes it back.
   */
  trying(address: string): void {
    const key = addressKey(address);
    const now = this.#now();
    const window = this.#windows.get(key);
    if (window !== undefined && now - window.startedAt < WINDOW_MS) {
      window.failures++;
      return;
    }
    this.#windows.delete(key);
    if (this.#full(now)) {
      if (this.#others !== undefined && now - this.#others.startedAt < WINDOW_MS) this.#others.failures++;
      else this.#others = { startedAt: now, failures: 1 };
      return;
    }
    // Windows are kept in the order they began: the first is the oldest, and it has ended (#full).
    if (this.#windows.size >= MAXIMUM_ADDRESSES) {
      const [oldest] = this.#windows;
      if (oldest !== undefined) this.#windows.delete(oldest[0]);
    }
    this.#windows.set(key, { startedAt: now, failures: 1 });
  }

  /**
   * The password `trying` counted was right: that one try is taken back (the failures before it stay). An address left
   * with none gives its place up, so that the places go to addresses that failed, not to every device that logs in.
   */
  passed(address: string): void {
    const key = addressKey(address);
    const window = this.#windowOf(key, this.#now());
    if (window === undefined || window.failures === 0) return;
    window.failures--;
    if (window.failures === 0 && window !== this.#others) this.#windows.delete(key);
  }

}
