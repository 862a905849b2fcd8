/**
 * When the certificates a listener would serve can change with nothing but time passing: a key entry's certificate
 * starting or ending its validity (select.ts prefers one valid now). One timer, for the next such moment among the
 * keystore's entries; when it passes, the caller chooses again.
 */
import type { KeyEntry } from '../keystore/types.js';
import type { Clock } from '../timers/deadlines.js';
import { LONGEST_WAIT_MS, WALL_CLOCK } from '../timers/wall-clock.js';

/**
 * The first moment after `now` at which a certificate of `entries` becomes valid or stops being valid (ms since the
 * epoch); Infinity when none will. A certificate is valid from its notBefore through its notAfter, so it has ended
 * the millisecond after.
 */
export function nextValidityChange(entries: readonly KeyEntry[], now: number): number {
  let next = Number.POSITIVE_INFINITY;
  for (const entry of entries) {
    const leaf = entry.chain[0];
    if (leaf === undefined) continue;
    for (const at of [Date.parse(leaf.validFrom), Date.parse(leaf.validTo) + 1]) if (at > now && at < next) next = at;
  }
  return next;
}

/**
 * Calls `changed` after each moment a certificate of `entries` starts or ends its validity after `from` (when the
 * choice it would change was made, ms since the epoch: one passed since then calls it at once), until the returned
 * function is called. The timer looks again at least hourly (LONGEST_WAIT_MS), so a wall clock stepped forward is
 * caught up with; one stepped back calls it too, since what was valid may not be any more.
 */
export function watchValidityChanges(entries: readonly KeyEntry[], from: number, changed: () => void, clock: Clock = WALL_CLOCK): () => void {
  let timer: unknown;
  let stopped = false;
  const arm = (): void => {
    const next = nextValidityChange(entries, from);
    if (next === Number.POSITIVE_INFINITY) return;
    timer = clock.setTimeout(fire, Math.min(Math.max(next - clock.now(), 0), LONGEST_WAIT_MS));
  };
  const fire = (): void => {
    timer = undefined;
    if (stopped) return;
    const now = clock.now();
    // A moment passed since the last look: choose again (the timer may also have woken only to look again).
    const passed = now < from || nextValidityChange(entries, from) <= now;
    from = now;
    arm();
    if (passed) changed();
  };
  arm();
  return () => {
    stopped = true;
    if (timer !== undefined) clock.clearTimeout(timer);
  };
}
