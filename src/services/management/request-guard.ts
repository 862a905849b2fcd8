/**
 * Two guards against other sites reaching the API through a user's browser.
 *
 * DNS rebinding: a page of another site whose name is made to resolve to the gateway is, to the browser, on its own
 * origin, so it may read the API and pass every check below; only the Host it sends (its own name) gives it away.
 * A browser's request is answered only when its Host is an IP address, `localhost`, or a name one of the service's
 * accepts names: names an attacker cannot point at the gateway. A browser is known by the headers it adds (`Origin`,
 * `Sec-Fetch-Site`, `Sec-Fetch-Mode`), which a page can neither set nor remove; clients that are not browsers
 * (Prometheus, probes, bin/gateway, curl) send none, and reach the service by whatever name or address they like.
 *
 * Requests that change something (closing connections) must come from the API's own clients, never be made by
 * another site through a user's browser (cross-site request forgery). Three checks, any of which alone stops a
 * forged request, so that one mistaken browser or proxy does not open the door:
 * - a custom header (`X-Gateway-Request`): a cross-site page cannot send one without a CORS preflight, which this
 *   API never grants;
 * - `Content-Type: application/json`: the one type an HTML form cannot send;
 * - the browser's own word on where the request comes from: `Sec-Fetch-Site` must be `same-origin` or `none`, and
 *   an `Origin` header must name this very host.
 * Non-browser clients (bin/gateway, curl) send no Sec-Fetch-Site or Origin and pass on the first two alone.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

export const REQUEST_HEADER = 'x-gateway-request';

/** Why the request may not change anything, or undefined when it may. */
export function mutationProblem(req: IncomingMessage): string | undefined {
  if (req.headers[REQUEST_HEADER] === undefined) return 'a request that changes something must carry the header X-Gateway-Request';
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') return 'a request that changes something must be sent with Content-Type: application/json';
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `a ${site} request may not change anything`;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host === undefined || host !== req.headers.host) return `a request from ${origin} may not change anything here`;
  }
  return undefined;
}

/** A Host header's name: lower case, without port, IPv6 brackets or the trailing dot of a fully qualified name. */
function hostName(host: string | undefined): string {
  const h = (host ?? '').trim().toLowerCase();
  const name = h.startsWith('[') ? h.slice(1, Math.max(h.indexOf(']'), 1)) : h.replace(/:\d*$/, '');
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/**
 * The name a browser's request was sent to when the service may not answer it there (see above), else undefined.
 * `names`: the hosts of the service's accepts, in lower case without a trailing dot.
 */
export function misdirectedHost(req: IncomingMessage, names: ReadonlySet<string>): string | undefined {
  const h = req.headers;
  if (h.origin === undefined && h['sec-fetch-site'] === undefined && h['sec-fetch-mode'] === undefined) return undefined;
  const name = hostName(h.host);
  if (isIP(name) !== 0 || name === 'localhost' || names.has(name)) return undefined;
  return name;
}
