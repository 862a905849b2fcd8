/**
 * Connections whose client certificate ends while they are open. A certificate is judged at the handshake (and
 * again when a reload or a CRL changes the rules), so a device that stays connected past its certificate's notAfter,
 * or its CA's, would otherwise stay connected for as long as its connection lasts: this judges each such session
 * again at that moment, with the rules it would meet if it reconnected.
 *
 * One timer, for the earliest end among the live sessions, rather than one per connection: a session that opens
 * compares one number, and the timer is re-armed only when an earlier end comes. When it fires, the sessions are
 * scanned once for those that have ended and for the next end.
 */
import type { Clock } from '../timers/deadlines.js';
import { LONGEST_WAIT_MS, WALL_CLOCK } from '../timers/wall-clock.js';
import type { Session } from './sessions.js';

/** Called with the sessions whose certificate has ended (not already closing) and the time it was judged at. */
export type CertificateEndHandler = (ended: Session[], now: number) => void;

export class CertificateEnds {
  readonly #sessions: () => Iterable<Session>;
  readonly #clock: Clock;
  #handler: CertificateEndHandler | undefined;
  #timer: unknown;
  /** When the armed timer is for; Infinity while none is. */
  #at = Number.POSITIVE_INFINITY;

  constructor(sessions: () => Iterable<Session>, clock: Clock = WALL_CLOCK) {
    this.#sessions = sessions;
    this.#clock = clock;
  }

  /** Starts judging: the sessions already open are scheduled, and every one added from now on. */
  start(handler: CertificateEndHandler): void {
    this.#handler = handler;
    this.#disarm();
    const next = this.#scan(undefined);
    if (next < Number.POSITIVE_INFINITY) this.#arm(next);
  }

  /** A session has opened whose certificate ends at `at` (ms since the epoch). */
  add(at: number): void {
    if (this.#handler !== undefined && at < this.#at) this.#arm(at);
  }

  /** Stops the timer; nothing is judged until start() again. */
  stop(): void {
    this.#handler = undefined;
    this.#disarm();
  }

  #arm(at: number): void {
    this.#disarm();
    this.#at = at;
    // A certificate is valid up to and including its notAfter: it has ended the millisecond after.
    const delay = Math.min(Math.max(at + 1 - this.#clock.now(), 0), LONGEST_WAIT_MS);
    this.#timer = this.#clock.setTimeout(() => this.#fire(), delay);
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#at = Number.POSITIVE_INFINITY;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#at = Number.POSITIVE_INFINITY;
    const handler = this.#handler;
    if (handler === undefined) return;
    const now = this.#clock.now();
    const ended: Session[] = [];
    const next = this.#scan(now, ended);
    if (next < Number.POSITIVE_INFINITY) this.#arm(next);
    if (ended.length > 0) handler(ended, now);
  }

  /**
   * The earliest end still to come. With `now`, the sessions whose end has passed go into `ended` (unless they are
   * closing already) and are not judged again: each is judged once, just after its end.
   */
  #scan(now: number | undefined, ended?: Session[]): number {
    let next = Number.POSITIVE_INFINITY;
    for (const session of this.#sessions()) {
      const at = session.certificateEndsAt;
      if (at === undefined) continue;
      if (now !== undefined && at < now) {
        session.certificateEndsAt = undefined;
        if (session.closing === undefined) ended?.push(session);
      } else if (at < next) {
        next = at;
      }
    }
    return next;
  }
}
