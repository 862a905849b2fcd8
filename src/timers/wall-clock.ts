/**
 * Wall-clock time for what ends on a calendar date (a certificate's notBefore and notAfter): Date.now(), with timers
 * that never keep the process alive.
 */
import type { Clock } from './deadlines.js';

/**
 * The longest such a timer waits before looking again. Dates are wall-clock time and timers run on a monotonic
 * clock: a wall clock set forward meanwhile (a VM resumed, NTP stepping it) is caught up with within this. It also
 * keeps the delay inside what setTimeout accepts (2^31 - 1 ms).
 */
export const LONGEST_WAIT_MS = 3_600_000;

export const WALL_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
