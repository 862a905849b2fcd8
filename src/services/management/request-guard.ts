/**
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
