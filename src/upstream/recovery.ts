/**
 * Kaazing's `maximum.recovery.interval`: when a backend connect fails, the service goes down (its accepts answer
 * 404) and the backend is probed again after 1, 2, 4 … s, capped at the configured maximum, until a probe
 * succeeds; then the service is up again. This class owns only that state machine and its timer; the service
 * decides what "down" means for its accepts and what a probe is (usually: connect, then close).
 *
 * Events:
 * - `'down'` (error: unknown): the service went down because of this failure.
 * - `'retry'` (error: unknown, delayMs: number): a probe failed; the next one runs after delayMs.
 * - `'up'` (): a probe succeeded; the service is up again.
 */
import { EventEmitter } from 'node:events';
import { GatewayError } from '../errors.js';
import { unrefTimer, type SetTimer } from './connector.js';

export interface RecoveryOptions {
  /** Resolves when the backend can be reached again; rejects otherwise. */
  probe: () => Promise<void>;
  /** The longest wait between probes, in ms (`maximum.recovery.interval` × 1000). Must be > 0. */
  maxIntervalMs: number;
  /** Timer used between probes (default: an unref'd setTimeout); injected by tests. */
  setTimer?: SetTimer | undefined;
  /**
   * A failure this soon (ms) after a probe brought the service up goes on with the backoff instead of starting it
   * again from 1 s: the probe's success did not last. Default 0.
   */
  stableMs?: number | undefined;
  /** The clock `stableMs` is measured with (ms); default performance.now. */
  now?: (() => number) | undefined;
}

const FIRST_INTERVAL_MS = 1000;

export class Recovery extends EventEmitter {
  readonly #probe: () => Promise<void>;
  readonly #maxIntervalMs: number;
  readonly #setTimer: SetTimer;
  #up = true;
  #stopped = false;
  #nextDelayMs = FIRST_INTERVAL_MS;
  #cancelTimer: (() => void) | undefined;
  /** Bumped by stop() and by every state change, so that a probe settling late is ignored. */
  #generation = 0;
  readonly #stableMs: number;
  readonly #now: () => number;
  /** When a probe last brought the service up. */
  #upAt = Number.NEGATIVE_INFINITY;

  constructor(opts: RecoveryOptions) {
    super();
    if (!(opts.maxIntervalMs > 0)) {
      throw new GatewayError('GW_ERR_INTERNAL', `Recovery needs maxIntervalMs > 0, got ${String(opts.maxIntervalMs)}`);
    }
    this.#probe = opts.probe;
    this.#maxIntervalMs = opts.maxIntervalMs;
    this.#setTimer = opts.setTimer ?? unrefTimer;
    this.#stableMs = opts.stableMs ?? 0;
    this.#now = opts.now ?? (() => performance.now());
  }

  /** True until a failure is reported, and again once a probe succeeds. */
  get up(): boolean {
    return this.#up;
  }

  /** Takes the service down and starts probing. While down (or after stop()), further failures are ignored. */
  reportFailure(err: unknown): void {
    if (this.#stopped || !this.#up) return;
    this.#up = false;
    if (this.#now() - this.#upAt >= this.#stableMs) this.#nextDelayMs = FIRST_INTERVAL_MS;
    this.emit('down', err);
    this.#schedule();
  }

  /** Cancels any pending probe; a probe already running is ignored when it settles. Safe to call twice. */
  stop(): void {
    this.#stopped = true;
    this.#generation++;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }

  #schedule(): void {
    // A 'down' or 'retry' listener may have called stop().
    if (this.#stopped) return;
    const delay = Math.min(this.#nextDelayMs, this.#maxIntervalMs);
    this.#nextDelayMs = Math.min(this.#nextDelayMs * 2, this.#maxIntervalMs);
    this.#cancelTimer = this.#setTimer(() => this.#runProbe(), delay);
  }

  #runProbe(): void {
    this.#cancelTimer = undefined;
    if (this.#stopped) return;
    const generation = this.#generation;
    let probing: Promise<void>;
    try {
      probing = this.#probe();
    } catch (e) {
      probing = Promise.reject(e);
    }
    probing.then(
      () => {
        if (generation !== this.#generation) return;
        this.#generation++;
        this.#up = true;
        this.#upAt = this.#now();
        this.emit('up');
      },
      (err: unknown) => {
        if (generation !== this.#generation) return;
        const delay = Math.min(this.#nextDelayMs, this.#maxIntervalMs);
        this.emit('retry', err, delay);
        this.#schedule();
      },
    );
  }
}
