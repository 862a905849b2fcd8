/**
 * Periodic work for many members that share a period (every WebSocket of a service has the same
 * `ws.inactivity.timeout`): one timer per period ticks them all, so that joining or leaving is a set operation
 * rather than a timer, and an idle connection holds no timer of its own.
 */
import { SYSTEM_CLOCK, type Clock } from './deadlines.js';

export interface Tickable {
  tick(): void;
}

export class Ticker {
  readonly #periodMs: number;
  readonly #clock: Clock;
  readonly #members = new Set<Tickable>();
  /** The pending timer; undefined while nobody is a member. */
  #timer: unknown;

  constructor(periodMs: number, clock: Clock = SYSTEM_CLOCK) {
    if (!(periodMs > 0)) throw new RangeError(`a tick period must be longer than 0 ms, not ${periodMs}`);
    this.#periodMs = periodMs;
    this.#clock = clock;
  }

  get periodMs(): number {
    return this.#periodMs;
  }

  /** How many members are ticked. */
  get size(): number {
    return this.#members.size;
  }

  /** `member` is ticked every period from now on; its first tick comes within one period. */
  add(member: Tickable): void {
    this.#members.add(member);
    if (this.#timer === undefined) this.#schedule();
  }

  /** Safe to call for a member that is not one, and from inside a tick. */
  delete(member: Tickable): void {
    this.#members.delete(member);
    if (this.#members.size === 0 && this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimeout(this.#fire, this.#periodMs);
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    // A member that leaves during the tick is not visited again; one that joins is ticked in this same pass (the
    // Set's iteration order), which its first tick is allowed to be.
    for (const member of this.#members) member.tick();
    if (this.#members.size > 0 && this.#timer === undefined) this.#schedule();
  };
}
