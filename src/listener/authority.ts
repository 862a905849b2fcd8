/**
 * SNI against Host (RFC 9110 §7.4, 421 Misdirected Request). On a TLS listener the name a client sent in SNI chose
 * the certificate, and its Host header chooses the route. A request whose two names differ is served only when
 * both lead to the same certificate and the same route: a certificate presented for one host never fronts a
 * service that another host's name selects, and what the backend is told (SNI) is what the client was routed by.
 */
import { contextForServername, type PreparedServerTls } from '../tls/server.js';
import { normaliseHostname } from '../tls/select.js';
import { hostOf, type RouteKind, type RouteTable } from './routes.js';

export function misdirected(
  tls: PreparedServerTls,
  routes: RouteTable,
  servername: string | undefined,
  hostHeader: string | undefined,
  path: string,
  kind: RouteKind = 'upgrade',
): boolean {
  // No SNI (a client that dialled an address, or one too old to send it): the Host header alone decides.
  if (!servername) return false;
  const sni = normaliseHostname(servername);
  const host = hostOf(hostHeader);
  if (host === undefined || host === sni) return false;
  if (contextForServername(tls, sni) !== contextForServername(tls, host)) return true;
  return routes.match(sni, path, kind, true) !== routes.match(host, path, kind, true);
}
