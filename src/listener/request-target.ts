/**
 * Requests whose target is in absolute-form (`GET http://gateway.example:8000/echo HTTP/1.1`). Clients send that
 * form only to proxies, but a server must accept it (RFC 9112 §3.2.2), and RFC 6455 §4.2.1 allows it for a
 * WebSocket upgrade. Such a request is read as the origin-form every route and service reads (`/echo`), with the
 * target's authority as its Host: the Host header the client also sent is ignored, as RFC 9112 §3.2.2 says.
 *
 * Only the scheme and authority are taken off: the path and query stay as sent, so that a path is routed and
 * decoded the same way whichever form it came in (no dot-segments resolved, no percent-encoding changed).
 */
import type { IncomingMessage } from 'node:http';

const ABSOLUTE = /^https?:\/\//i;
/** host (a name, IPv4 or a bracketed IPv6 literal) and an optional port; no userinfo (RFC 9110 §4.2.4). */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]*)?$/;

/** The answer (400) to an absolute-form target whose authority cannot be read. */
export const BAD_TARGET = 'Bad request: the request target names no host the gateway can read.';

/**
 * Rewrites an absolute-form request to origin-form in place. True when the request can be served (it was in
 * another form, or has been rewritten); false for an absolute-form target with no usable authority.
 */
export function toOriginForm(req: IncomingMessage): boolean {
  const url = req.url;
  if (url === undefined || url.charCodeAt(0) === 0x2f /* '/' */ || !ABSOLUTE.test(url)) return true;
  const rest = url.slice(url.indexOf('//') + 2);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  if (!AUTHORITY.test(authority)) return false;
  const target = end < 0 ? '' : rest.slice(end);
  // A fragment is never part of a request target; one that came anyway is left for the path checks to refuse.
  req.url = target.startsWith('/') ? target : `/${target}`;
  req.headers.host = authority;
  return true;
}

