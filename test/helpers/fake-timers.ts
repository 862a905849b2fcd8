/** Timers that only run when the test says so, one at a time, recording every delay asked for (SetTimer). */
import assert from 'node:assert/strict';
import type { SetTimer } from '../../src/upstream/connector.js';

export class FakeTimers {
  readonly delays: number[] = [];
  #pending: { callback: () => void; cancelled: boolean } | undefined;
  readonly setTimer: SetTimer = (callback, ms) => {
    assert.equal(this.#pending === undefined || this.#pending.cancelled, true, 'one timer at a time');
    const entry = { callback, cancelled: false };
    this.#pending = entry;
    this.delays.push(ms);
    return () => {
      entry.cancelled = true;
    };
  };
  get armed(): boolean {
    return this.#pending !== undefined && !this.#pending.cancelled;
  }
  fire(): void {
    const entry = this.#pending;
    assert.ok(entry && !entry.cancelled, 'no timer is armed');
    this.#pending = undefined;
    entry.callback();
  }
}

/** A single timer that never fires by itself: the test fires it, and reads the delays asked for and the cancel. */
export function manualTimer(): { setTimer: SetTimer; fire: () => void; delays: number[]; cancelled: () => boolean } {
  let callback: (() => void) | undefined;
  let cancelled = false;
  const delays: number[] = [];
  return {
    setTimer: (cb, ms) => {
      callback = cb;
      delays.push(ms);
      return () => {
        cancelled = true;
      };
    },
    fire: () => callback?.(),
    delays,
    cancelled: () => cancelled,
  };
}
