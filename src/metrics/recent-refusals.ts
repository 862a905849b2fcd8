/**
 * The last refusals, newest first, for the status page: a fixed-size ring, so a flood of refused clients costs
 * the same memory as a quiet day.
 */
import type { RefusalDetail, RefusalReason } from './types.js';

export interface RecentRefusal extends RefusalDetail {
  readonly at: number;
  readonly reason: RefusalReason;
  readonly listener: string;
  readonly service: string | undefined;
}

export const RECENT_REFUSALS = 100;

export class RecentRefusals {
  readonly #ring: (RecentRefusal | undefined)[];
  #next = 0;
  /** Every refusal ever noted, so a reader can tell how many it has not seen. */
  #total = 0;

  constructor(readonly capacity = RECENT_REFUSALS) {
    this.#ring = new Array<RecentRefusal | undefined>(capacity);
  }

  note(refusal: RecentRefusal): void {
    this.#ring[this.#next] = refusal;
    this.#next = (this.#next + 1) % this.capacity;
    this.#total++;
  }

  get total(): number {
    return this.#total;
  }

  /** Newest first. */
  list(): RecentRefusal[] {
    const out: RecentRefusal[] = [];
    for (let i = 1; i <= this.capacity; i++) {
      const r = this.#ring[(this.#next - i + this.capacity) % this.capacity];
      if (r === undefined) break;
      out.push(r);
    }
    return out;
  }
}
