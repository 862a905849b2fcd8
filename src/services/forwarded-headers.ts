/**
 * Which of the client's upgrade request headers go on to a ws:// or wss:// backend. End-to-end headers (Cookie,
 * Authorization, Origin, User-Agent, …) pass; these do not:
 * - hop-by-hop headers (RFC 9110 §7.6.1): Connection, Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding,
 *   Upgrade, and every header the client's Connection header names;
 * - Host and Content-Length, which the gateway's own request to the backend sets;
 * - every Sec-WebSocket-* header: the gateway's WebSocket client makes its own key, version and extension offer,
 *   and the subprotocol offer is passed to it separately;
 * - every header a `<http.header>` names, in whatever case the client wrote it, so that a client can never forge
 *   one: the backend sees the gateway's value or, when the gateway left it out, none;
 * - the headers a backend may take as the proxy's word about the client whatever the configuration says:
 *   Client-Cert and Client-Cert-Chain (RFC 9440 §4 requires a proxy to remove them), Forwarded, X-Forwarded-*,
 *   X-Real-IP and X-Client-Cert*.
 * Names are compared with `_` read as `-`: servers that map headers to variables (CGI, WSGI) make `X_Client_IP`
 * and `X-Client-IP` the same name.
 *
 * Of the Cookie header, the cookies the gateway itself sets as credentials (certificate tickets) are taken out:
 * a browser sends a host's cookies to every port and path of it, so every WebSocket backend on the gateway's host
 * name would otherwise receive a ticket it could replay as the device's certificate.
 */
import type { HttpHeaderConfig } from '../config/types.js';

const STRIPPED = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'client-cert',
  'client-cert-chain',
  'forwarded',
  'x-real-ip',
]);
const STRIPPED_PREFIXES = ['proxy-', 'sec-websocket-', 'x-forwarded-', 'x-client-cert'];
const NO_COOKIES: ReadonlySet<string> = new Set();

/** The form names are compared in: lower case, `_` as `-`. */
function canonical(name: string): string {
  return name.toLowerCase().replaceAll('_', '-');
}

// RFC 9110 §5.6.2 token, and §5.5 field-value as node:http checks it (bytes held as latin1 characters).
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const NOT_FIELD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

function listed(value: string, into: Set<string>): void {
  for (const item of value.split(',')) {
    const name = canonical(item.trim());
    if (name !== '') into.add(name);
  }
}

/** A Cookie header's value without the cookies named in `withheld` (names are case-sensitive, RFC 6265 §5.4); '' when none is left. */
function withoutCookies(value: string, withheld: ReadonlySet<string>): string {
  const kept: string[] = [];
  for (const pair of value.split(';')) {
    const trimmed = pair.trim();
    if (trimmed === '') continue;
    const equals = trimmed.indexOf('=');
    const name = (equals < 0 ? '' : trimmed.slice(0, equals)).trim();
    if (!withheld.has(name)) kept.push(trimmed);
  }
  return kept.join('; ');
}

/**
 * The headers of `rawHeaders` (IncomingMessage.rawHeaders: name, value, name, value, …) that are forwarded to the
 * backend, on an object without a prototype: the name as the client first spelled it → its value, or its values
 * in order when the client sent it more than once (node:http sends each as a line of its own). `configured` are
 * the service's `<http.header>`s; `withheldCookies` the names of the cookies the gateway sets as credentials.
 * Never throws.
 */
export function forwardedHeaders(
  rawHeaders: readonly string[],
  configured: readonly Pick<HttpHeaderConfig, 'name'>[],
  withheldCookies: ReadonlySet<string> = NO_COOKIES,
): Record<string, string | string[]> {
  const removed = new Set<string>();
  for (const header of configured) removed.add(canonical(header.name));
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() === 'connection') listed(rawHeaders[i + 1] as string, removed);
  }
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  const spelling = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    let value = rawHeaders[i + 1] as string;
    const lower = name.toLowerCase();
    const key0 = canonical(name);
    if (STRIPPED.has(key0) || removed.has(key0) || STRIPPED_PREFIXES.some((p) => key0.startsWith(p))) continue;
    if (lower === 'cookie' && withheldCookies.size > 0) {
      value = withoutCookies(value, withheldCookies);
      if (value === '') continue;
    }
    // Node's parser already refuses such lines unless run with --insecure-http-parser; checked again because
    // node:http throws when asked to send one.
    if (!TOKEN.test(name) || NOT_FIELD_VALUE.test(value)) continue;
    const key = spelling.get(lower);
    if (key === undefined) {
      spelling.set(lower, name);
      out[name] = value;
      continue;
    }
    const before = out[key] as string | string[];
    if (Array.isArray(before)) before.push(value);
    else out[key] = [before, value];
  }
  return out;
}
