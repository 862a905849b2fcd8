/**
 * Bytes handed to a writer whose completion callback has not fired yet: the measure `maximum.pending.bytes`
 * bounds. A stream calls write callbacks in the order of the writes, and ws's sender writes its frames to the
 * socket in the order of send() calls, so the write that just completed is always the oldest one: a FIFO of
 * lengths gives exact accounting with one shared callback per direction, instead of a closure per message.
 */
/**
 * What a queued write holds besides its payload (a frame header, a slot in the writer's queue, its completion):
 * counted with the payload, so that a flood of empty or one-byte messages is bounded by `maximum.pending.bytes`
 * like a flood of large ones.
 */
export const WRITE_OVERHEAD_BYTES = 64;

export class PendingWrites {
  /**
   * Ring buffer of lengths; its size is a power of two so that wrapping is a mask. Small to begin with: an idle
   * connection holds one per direction for its whole life, and a busy one grows it in a few doublings.
   */
  #lengths = new Array<number>(4).fill(0);
  #head = 0;
  #count = 0;
  #bytes = 0;

  /** Bytes written and not yet acknowledged. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Writes not yet acknowledged. */
  get count(): number {
    return this.#count;
  }

  push(length: number): void {
    if (this.#count === this.#lengths.length) this.#grow();
    this.#lengths[(this.#head + this.#count) & (this.#lengths.length - 1)] = length;
    this.#count++;
    this.#bytes += length;
  }

  /** Marks the oldest write done and returns the bytes still pending. A completion with nothing pending is ignored. */
  complete(): number {
    if (this.#count === 0) return this.#bytes;
    this.#bytes -= this.#lengths[this.#head] ?? 0;
    this.#head = (this.#head + 1) & (this.#lengths.length - 1);
    this.#count--;
    return this.#bytes;
  }

  #grow(): void {
    const size = this.#lengths.length;
    const next = new Array<number>(size * 2).fill(0);
    for (let i = 0; i < this.#count; i++) next[i] = this.#lengths[(this.#head + i) & (size - 1)] ?? 0;
    this.#lengths = next;
    this.#head = 0;
  }
}
