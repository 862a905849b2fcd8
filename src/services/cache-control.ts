/** The Cache-Control and Expires headers a directory service sends for a file a `<location>` matched. */
import type { CacheControl } from '../config/types.js';

/**
 * The Cache-Control header for one file, as Kaazing wrote it: the directives as configured, then `max-age`, which
 * is always sent (0 when none was given); with both max-age forms the smaller wins. `expiresAt` is for `Expires`.
 */
export function cacheControlHeader(cc: CacheControl, modifiedMs: number, nowMs: number): { value: string; expiresAt: number } {
  const ages: number[] = [];
  if (cc.maxAgeS !== undefined) ages.push(cc.maxAgeS);
  if (cc.maxAgeAfterModifiedS !== undefined) ages.push(cc.maxAgeAfterModifiedS + Math.trunc((modifiedMs - nowMs) / 1000));
  const maxAge = Math.max(0, ages.length === 0 ? 0 : Math.min(...ages));
  const parts = [...cc.flags, ...cc.values.map((v) => `${v.name}=${v.seconds}`), `max-age=${maxAge}`];
  return { value: parts.join(', '), expiresAt: nowMs + maxAge * 1000 };
}
