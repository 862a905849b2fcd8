/**
 * Kaazing's `cross-site-constraint` applied to WebSocket upgrades, compared as Kaazing's HttpOriginSecurityFilter
 * compares (see docs/access.md):
 * - a request without Origin is not a browser's cross-site request: admitted;
 * - the service's own origin is always admitted, with or without constraints: an Origin whose host:port (the
 *   scheme's default port when it names none) is the accept URI's host:port, whatever its scheme (so
 *   `Origin: http://localhost:9000` reaches `wss://localhost:9000/`, as Debian's python3-websocket sends it), or
 *   whose scheme and host:port are those the request itself was made to (its Host header, https when over TLS);
 * - otherwise a constraint must name the origin (scheme and host:port), or be `*`, which admits every origin,
 *   `null` and malformed ones included.
 */
import type { AcceptUri, CrossSiteConstraint } from '../config/types.js';

/** Where the request was made to: the accept it was routed to, its Host header and whether it came over TLS. */
export interface OriginTarget {
  readonly accept: AcceptUri;
  readonly hostHeader: string | undefined;
  readonly secure: boolean;
}

interface Origin {
  readonly scheme: string;
  /** `host:port`, lower case, the port always written (the scheme's default when the origin names none). */
  readonly authority: string;
}

function defaultPort(scheme: string): number {
  return scheme === 'https' || scheme === 'wss' ? 443 : 80;
}

function authority(host: string, port: number): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return `${bare.includes(':') ? `[${bare}]` : bare}:${port}`;
}

/** An http(s) origin as scheme and host:port; undefined for `null`, other schemes and anything malformed. */
function parseOrigin(text: string): Origin | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  return { scheme, authority: authority(url.hostname, url.port === '' ? defaultPort(scheme) : Number(url.port)) };
}

/** `https://host:port` with the default port dropped, lower case: the form browsers send. */
export function normalizeOrigin(origin: string): string | undefined {
  const parsed = parseOrigin(origin);
  if (parsed === undefined) return undefined;
  const port = `:${defaultPort(parsed.scheme)}`;
  return `${parsed.scheme}://${parsed.authority.endsWith(port) ? parsed.authority.slice(0, -port.length) : parsed.authority}`;
}

/** The request's own origin from its Host header, or undefined when it has none. */
function requestOrigin(target: OriginTarget): Origin | undefined {
  const host = target.hostHeader?.trim();
  if (!host) return undefined;
  const scheme = target.secure ? 'https' : 'http';
  return parseOrigin(`${scheme}://${host}`);
}

/** Undefined when the upgrade may proceed, else the reason it is refused. */
export function originRefusal(origin: string | undefined, target: OriginTarget, constraints: readonly CrossSiteConstraint[]): string | undefined {
  if (origin === undefined) return undefined;
  if (constraints.some((c) => c.allowOrigin === '*')) return undefined;
  const parsed = parseOrigin(origin);
  if (parsed === undefined) return `origin "${origin}" is not an http(s) origin, and no cross-site-constraint allows every origin (*)`;
  const { accept } = target;
  if (parsed.authority === authority(accept.host, accept.port)) return undefined;
  const own = requestOrigin(target);
  if (own !== undefined && own.scheme === parsed.scheme && own.authority === parsed.authority) return undefined;
  for (const c of constraints) {
    const allowed = parseOrigin(c.allowOrigin);
    if (allowed !== undefined && allowed.scheme === parsed.scheme && allowed.authority === parsed.authority) return undefined;
  }
  const shown = normalizeOrigin(origin) ?? origin;
  return constraints.length === 0
    ? `origin ${shown} is not the service's own (${authority(accept.host, accept.port)}) and the service has no cross-site-constraint`
    : `origin ${shown} is not the service's own (${authority(accept.host, accept.port)}) nor in its cross-site-constraint`;
}
