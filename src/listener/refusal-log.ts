/**
 * Refusals at the edge (failed handshakes, deadlines, limits, refused certificates) logged at a bounded rate. A
 * scanner or a flood must not bury the log, but one device that fails must still be seen at once: the first
 * refusal of each kind and reason in an interval is logged as it happens, the rest of that interval are counted and
 * summed up in one line when it ends. At debug level every refusal keeps its own line.
 */
import type { Logger } from 'pino';
import type { Clock } from '../timers/deadlines.js';

export const REFUSAL_SUMMARY_INTERVAL_MS = 10_000;

export interface Refusal {
  /** What was refused, the same for every reason: `TLS handshake failed`, `connection refused`, … */
  readonly kind: string;
  /** Why, in words that do not vary per client (they are what refusals are grouped by). */
  readonly reason: string;
  /** The line's message. */
  readonly message: string;
  /** Per-connection details: the client's address, its certificate's subject, … */
  readonly fields: Readonly<Record<string, unknown>>;
}

interface Window {
  readonly kind: string;
  readonly reason: string;
  /** Refusals after the first, not logged yet. */
  suppressed: number;
}

const TIMERS: Pick<Clock, 'setTimeout' | 'clearTimeout'> = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class RefusalLog {
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #timers: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** The refusals seen in the current interval, by kind and reason. */
  readonly #window = new Map<string, Window>();
  #timer: unknown;
  /** Every refusal since start, by kind: for the counters a metrics endpoint reads. */
  readonly counts = new Map<string, number>();

  constructor(log: Logger, intervalMs = REFUSAL_SUMMARY_INTERVAL_MS, timers = TIMERS) {
    this.#log = log;
    this.#intervalMs = intervalMs;
    this.#timers = timers;
  }

  note(refusal: Refusal): void {
    this.counts.set(refusal.kind, (this.counts.get(refusal.kind) ?? 0) + 1);
    const line = { event: 'refused', kind: refusal.kind, reason: refusal.reason, ...refusal.fields };
    const key = `${refusal.kind}\u0000${refusal.reason}`;
    const seen = this.#window.get(key);
    if (seen) {
      seen.suppressed++;
      this.#log.debug(line, refusal.message);
      return;
    }
    this.#window.set(key, { kind: refusal.kind, reason: refusal.reason, suppressed: 0 });
    this.#log.warn(line, refusal.message);
    this.#timer ??= this.#timers.setTimeout(() => this.flush(), this.#intervalMs);
  }

  /** Ends the interval: one line per kind and reason that was refused more than once in it. */
  flush(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    const window = [...this.#window.values()];
    this.#window.clear();
    for (const w of window) {
      if (w.suppressed === 0) continue;
      this.#log.warn(
        { event: 'refused-summary', kind: w.kind, reason: w.reason, count: w.suppressed, intervalMs: this.#intervalMs },
        `${w.kind}: ${w.reason}: ${w.suppressed} more in the last ${Math.round(this.#intervalMs / 1000)} s`,
      );
    }
  }
}
