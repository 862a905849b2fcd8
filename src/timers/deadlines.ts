/**
 * Deadlines that all run for the same duration (every connection of a listener has the same handshake deadline),
 * kept in one list in the order they were set, which is also the order they expire in: one timer, for the head
 * of the list, serves them all, and setting or cancelling one costs a link in the list rather than a timer.
 */

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending deadline never keeps the process alive: the sockets it watches do, or nothing should.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface Deadline {
  /** Stops the deadline from firing; safe to call more than once, and after it fired. */
  cancel(): void;
}

interface Entry extends Deadline {
  at: number;
  onExpire: (() => void) | undefined;
  prev: Entry | undefined;
  next: Entry | undefined;
}

export class DeadlineList {
  readonly #durationMs: number;
  readonly #clock: Clock;
  #head: Entry | undefined;
  #tail: Entry | undefined;
  #size = 0;
  #timer: unknown;
  /** When the scheduled timer fires; undefined while none is. */
  #timerAt: number | undefined;

  constructor(durationMs: number, clock: Clock = SYSTEM_CLOCK) {
    if (!(durationMs > 0)) throw new RangeError(`a deadline must be longer than 0 ms, not ${durationMs}`);
    this.#durationMs = durationMs;
    this.#clock = clock;
  }

  get durationMs(): number {
    return this.#durationMs;
  }

  /** How many deadlines are pending. */
  get size(): number {
    return this.#size;
  }

  /** `onExpire` runs once, `durationMs` from now, unless the returned deadline is cancelled first. */
  add(onExpire: () => void): Deadline {
    const entry: Entry = {
      at: this.#clock.now() + this.#durationMs,
      onExpire,
      prev: this.#tail,
      next: undefined,
      cancel: () => this.#remove(entry),
    };
    if (this.#tail) this.#tail.next = entry;
    else this.#head = entry;
    this.#tail = entry;
    this.#size++;
    if (this.#timerAt === undefined) this.#schedule();
    return entry;
  }

  /** Cancels every pending deadline without running it. */
  clear(): void {
    while (this.#head) this.#remove(this.#head);
  }

  #remove(entry: Entry): void {
    if (entry.onExpire === undefined) return;
    entry.onExpire = undefined;
    if (entry.prev) entry.prev.next = entry.next;
    else this.#head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.#tail = entry.prev;
    entry.prev = entry.next = undefined;
    this.#size--;
    if (this.#size === 0 && this.#timerAt !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timerAt = undefined;
    }
  }

  #schedule(): void {
    const head = this.#head;
    if (!head) return;
    this.#timerAt = head.at;
    this.#timer = this.#clock.setTimeout(() => this.#fire(), Math.max(0, head.at - this.#clock.now()));
  }

  #fire(): void {
    this.#timerAt = undefined;
    const now = this.#clock.now();
    // Entries added by a callback expire after `now`, so the loop ends; each is unlinked before it runs.
    while (this.#head && this.#head.at <= now) {
      const entry = this.#head;
      const onExpire = entry.onExpire as () => void;
      this.#remove(entry);
      onExpire();
    }
    if (this.#timerAt === undefined) this.#schedule();
  }
}
