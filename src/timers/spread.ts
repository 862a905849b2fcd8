/**
 * Doing something to many items spread evenly over a period, so that, say, thousands of clients closed by a drain
 * do not all reconnect to the next gateway in the same second. The items are split into batches, one batch per
 * tick, with one timer at a time: ticks are at least MIN_TICK_MS apart however many items there are, the first
 * batch goes at once and the last one tick before the period ends.
 */

/** Arms a one-shot timer and returns a function that cancels it (upstream/connector.ts's SetTimer). */
export type SetTimer = (callback: () => void, ms: number) => () => void;

export const MIN_TICK_MS = 100;

const unrefTimer: SetTimer = (callback, ms) => {
  const t = setTimeout(callback, ms);
  t.unref();
  return () => clearTimeout(t);
};

export interface Spread {
  /** Acts on every item not yet acted on, now (a second SIGTERM). */
  finish(): void;
  /** Stops without acting on the rest (finish() then does nothing). */
  cancel(): void;
  /** Items not acted on. */
  readonly left: number;
}

/** The plan: how many ticks, how many items per tick, and the time between ticks. */
export function spreadPlan(count: number, overMs: number): { ticks: number; batch: number; tickMs: number } {
  if (count === 0) return { ticks: 0, batch: 0, tickMs: 0 };
  const ticks = Math.max(1, Math.min(count, Math.floor(overMs / MIN_TICK_MS)));
  return { ticks, batch: Math.ceil(count / ticks), tickMs: overMs / ticks };
}

export function spread<T>(items: readonly T[], overMs: number, act: (item: T) => void, setTimer: SetTimer = unrefTimer): Spread {
  const { batch, tickMs } = spreadPlan(items.length, overMs);
  let next = 0;
  let cancelled = false;
  let cancelTimer: (() => void) | undefined;
  const run = (upTo: number): void => {
    while (next < upTo && !cancelled) act(items[next++] as T);
  };
  const tick = (): void => {
    cancelTimer = undefined;
    run(Math.min(items.length, next + batch));
    if (next < items.length) cancelTimer = setTimer(tick, tickMs);
  };
  tick();
  return {
    finish: () => {
      cancelTimer?.();
      cancelTimer = undefined;
      run(items.length);
    },
    cancel: () => {
      cancelTimer?.();
      cancelTimer = undefined;
      cancelled = true;
    },
    get left() {
      return items.length - next;
    },
  };
}
