/**
 * Periodic work for many members that share a period (every WebSocket of a service has the same
 * `ws.inactivity.timeout`): one timer per period ticks them all, so that joining or leaving is a set operation
 * rather than a timer, and an idle connection holds no timer of its own. The members are spread over slots, each
 * ticked at its own point of the period, so that a fleet of idle connections is not pinged in one burst.
 */
import { SYSTEM_CLOCK, type Clock } from './deadlines.js';

export interface Tickable {
  tick(): void;
}

/** Slots a period is divided into (fewer for a period shorter than this many milliseconds). */
export const TICKER_SLOTS = 16;

export class Ticker {
  readonly #periodMs: number;
  readonly #clock: Clock;
  readonly #slots: Set<Tickable>[];
  readonly #slotMs: number;
  /** The slot the next timer ticks, and the slot the next member joins (members are dealt out in turn). */
  #next = 0;
  #join = 0;
  #size = 0;
  /** The pending timer; undefined while nobody is a member. */
  #timer: unknown;

  constructor(periodMs: number, clock: Clock = SYSTEM_CLOCK) {
    if (!(periodMs > 0)) throw new RangeError(`a tick period must be longer than 0 ms, not ${periodMs}`);
    this.#periodMs = periodMs;
    this.#clock = clock;
    const slots = Math.max(1, Math.min(TICKER_SLOTS, Math.floor(periodMs)));
    this.#slots = Array.from({ length: slots }, () => new Set<Tickable>());
    this.#slotMs = periodMs / slots;
  }

  get periodMs(): number {
    return this.#periodMs;
  }

  /** How many members are ticked. */
  get size(): number {
    return this.#size;
  }

  /** `member` (not already one) is ticked once a period from now on; its first tick comes within one period. */
  add(member: Tickable): void {
    const slot = this.#slots[this.#join] as Set<Tickable>;
    this.#join = (this.#join + 1) % this.#slots.length;
    slot.add(member);
    this.#size++;
    if (this.#timer === undefined) this.#schedule();
  }

  /** Safe to call for a member that is not one, and from inside a tick. */
  delete(member: Tickable): void {
    for (const slot of this.#slots) {
      if (slot.delete(member)) {
        this.#size--;
        break;
      }
    }
    if (this.#size === 0 && this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimeout(this.#fire, this.#slotMs);
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    const slot = this.#slots[this.#next] as Set<Tickable>;
    this.#next = (this.#next + 1) % this.#slots.length;
    // The next tick is set before these run: a member that throws does not stop the others' ticks.
    this.#schedule();
    // A member that leaves during the pass is not visited again; one that joins this slot during it is.
    for (const member of slot) member.tick();
    if (this.#size === 0 && this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  };
}
