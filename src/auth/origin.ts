/**
 * Kaazing's `cross-site-constraint` applied to WebSocket upgrades. Browsers always send Origin; other clients
 * usually do not, and a missing Origin is not a cross-site request, so it is admitted.
 *
 * Without any constraint a service admits only its own origin, as Kaazing did: a page served elsewhere needs a
 * `<cross-site-constraint>` naming its origin (or `*`).
 */
import type { AcceptUri, CrossSiteConstraint } from '../config/types.js';

/** `https://host:port` with the default port dropped, lower case: the form browsers send. */
export function normalizeOrigin(origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return url.origin.toLowerCase();
}

export function acceptOrigin(accept: AcceptUri): string {
  const scheme = accept.scheme === 'wss' ? 'https' : 'http';
  return normalizeOrigin(`${scheme}://${accept.host.includes(':') ? `[${accept.host}]` : accept.host}:${accept.port}`) ?? '';
}

/** Undefined when the upgrade may proceed, else the reason it is refused. */
export function originRefusal(
  origin: string | undefined,
  accept: AcceptUri,
  constraints: readonly CrossSiteConstraint[],
): string | undefined {
  if (origin === undefined) return undefined;
  const normalized = normalizeOrigin(origin);
  if (normalized === undefined) return `origin "${origin}" is not a valid http(s) origin`;
  if (constraints.length === 0) {
    return normalized === acceptOrigin(accept)
      ? undefined
      : `origin ${normalized} is not allowed (no cross-site-constraint on the service)`;
  }
  for (const c of constraints) {
    if (c.allowOrigin === '*' || normalizeOrigin(c.allowOrigin) === normalized) return undefined;
  }
  return `origin ${normalized} is not in the service's cross-site-constraint`;
}
