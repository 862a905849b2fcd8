/**
 * Accept and connect URIs. Both sides take `ws://` and `wss://` (WebSocket, with a path) and `tcp://` and
 * `ssl://` (a byte stream: host and port, no path); accepts also take `http://` and `https://` (plain HTTP
 * requests, with a path, for the HTTP services). Other Kaazing schemes are refused as unsupported.
 */
import { GatewayError } from '../errors.js';
import { resolveInterface, splitInterfaceHost, type Interfaces } from './interfaces.js';

export type Scheme = 'ws' | 'wss' | 'tcp' | 'ssl' | 'http' | 'https';

export interface ParsedAccept {
  readonly scheme: Scheme;
  readonly host: string;
  readonly port: number;
  /** The request path routed by (WebSocket or HTTP); `/` for tcp:// and ssl://. */
  readonly path: string;
}

export interface ParsedConnect {
  readonly scheme: Scheme;
  readonly host: string;
  readonly port: number;
  /** The WebSocket path of a ws:// or wss:// backend; `/` for tcp:// and ssl://. */
  readonly path: string;
}

const SCHEMES: readonly Scheme[] = ['ws', 'wss', 'tcp', 'ssl', 'http', 'https'];
const CONNECT_SCHEMES: readonly Scheme[] = ['ws', 'wss', 'tcp', 'ssl'];

function isScheme(s: string): s is Scheme {
  return (SCHEMES as readonly string[]).includes(s);
}

/** True for the schemes whose connections are WebSocket messages rather than a byte stream. */
export function isWebSocketScheme(scheme: Scheme): scheme is 'ws' | 'wss' {
  return scheme === 'ws' || scheme === 'wss';
}

/** True for the schemes whose requests are plain HTTP requests, answered by an HTTP service (`directory`, …). */
export function isHttpScheme(scheme: Scheme): scheme is 'http' | 'https' {
  return scheme === 'http' || scheme === 'https';
}

/** True for tcp:// and ssl://: a byte stream with no HTTP, so no Host or path to route by. */
export function isStreamScheme(scheme: Scheme): scheme is 'tcp' | 'ssl' {
  return scheme === 'tcp' || scheme === 'ssl';
}

/** The schemes that run TLS (towards the client on an accept, unless `ssl.encryption disabled`). */
export function isTlsScheme(scheme: Scheme): boolean {
  return scheme === 'wss' || scheme === 'ssl' || scheme === 'https';
}

/** The port a URI without one means. */
function defaultPort(scheme: Scheme): number {
  return scheme === 'ws' || scheme === 'http' ? 80 : 443;
}

/** A path on a byte-stream URI would suggest routing that a stream cannot have. */
function streamPath(url: URL, text: string, scheme: Scheme, what: string): string {
  if (url.pathname !== '' && url.pathname !== '/') throw uriError(`The ${what} URI "${text}" must not have a path: a ${scheme}:// ${what === 'accept' ? 'listener' : 'backend'} is a host and port`);
  return '/';
}

function uriError(message: string, hint?: string): GatewayError {
  return new GatewayError('GW_ERR_CONFIG_URI', message, { hint });
}

/** `ws://`, `tcp://`…: a URI's scheme and the `//` of its authority. */
const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;

function parseUrl(text: string, what: string): URL {
  if (!SCHEME.test(text)) throw uriError(`Invalid ${what} URI "${text}": expected scheme://host:port/path`);
  try {
    return new URL(text);
  } catch (e) {
    const why = whyInvalid(text);
    throw new GatewayError('GW_ERR_CONFIG_URI', `Invalid ${what} URI "${text}"${why !== undefined ? `: ${why}` : ''}`, { cause: e });
  }
}

/** What the URL parser refused, where the authority says: its port, else its host. */
function whyInvalid(text: string): string | undefined {
  const whole = text.replace(SCHEME, '').split(/[/?#]/)[0] ?? '';
  const authority = whole.slice(whole.lastIndexOf('@') + 1);
  if (authority.startsWith('[') && !authority.includes(']')) return 'the IPv6 address has no closing "]"';
  const m = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(authority);
  if (m === null) return undefined;
  const [, host = '', port] = m;
  if (port !== undefined && port !== '') {
    if (!/^\d+$/.test(port)) return `the port "${port}" is not a number`;
    if (Number(port) > 65535) return `the port ${port} is out of range (0 to 65535)`;
  }
  return host !== '' ? `"${host}" is not a valid host name or address` : undefined;
}

/** WHATWG keeps IPv6 hosts in brackets; hosts are compared and bound without them. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

function rejectExtras(url: URL, text: string, what: string): void {
  if (url.username !== '' || url.password !== '') throw uriError(`The ${what} URI "${text}" must not carry a user name or password`);
  if (url.search !== '' || url.hash !== '') throw uriError(`The ${what} URI "${text}" must not have a query or fragment`);
  if (url.hostname === '') throw uriError(`The ${what} URI "${text}" has no host`);
}

/** An accept URI whose host names a network interface (`tcp://[@eth0]:8080`), with the host resolved. */
function withInterfaceResolved(text: string, interfaces: Interfaces | undefined): string {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)(.*)$/s.exec(text);
  const iface = m ? splitInterfaceHost(m[2] as string) : undefined;
  if (!m || !iface) return text;
  const address = resolveInterface(iface.name, interfaces);
  return `${m[1]}${address.includes(':') ? `[${address}]` : address}${iface.rest}`;
}

/** `interfaces`: the machine's network interfaces, for `[@name]` hosts (os.networkInterfaces() by default). */
export function parseAcceptUri(text: string, interfaces?: Interfaces): ParsedAccept {
  const url = parseUrl(withInterfaceResolved(text, interfaces), 'accept');
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (!isScheme(scheme)) {
    throw new GatewayError('GW_ERR_CONFIG_UNSUPPORTED', `Accept scheme "${scheme}://" is not supported: this gateway accepts ws://, wss://, http://, https://, tcp:// and ssl://`);
  }
  rejectExtras(url, text, 'accept');
  if (!isStreamScheme(scheme)) {
    const port = url.port === '' ? defaultPort(scheme) : Number(url.port);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    return { scheme, host: bareHost(url), port, path };
  }
  if (url.port === '') throw uriError(`The accept URI "${text}" has no port`, `write ${scheme}://${url.host}:PORT`);
  return { scheme, host: bareHost(url), port: Number(url.port), path: streamPath(url, text, scheme, 'accept') };
}

export function parseConnectUri(text: string): ParsedConnect {
  const url = parseUrl(text, 'connect');
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (!isScheme(scheme) || !CONNECT_SCHEMES.includes(scheme)) {
    throw new GatewayError('GW_ERR_CONFIG_UNSUPPORTED', `Connect scheme "${scheme}://" is not supported: this gateway connects to tcp://, ssl://, ws:// and wss:// backends`);
  }
  rejectExtras(url, text, 'connect');
  if (isWebSocketScheme(scheme)) {
    if (url.port === '0') throw uriError(`The connect URI "${text}" has port 0`, `write ${scheme}://${url.hostname}:PORT${url.pathname}`);
    const port = url.port === '' ? (scheme === 'ws' ? 80 : 443) : Number(url.port);
    return { scheme, host: bareHost(url), port, path: url.pathname || '/' };
  }
  if (url.port === '' || url.port === '0') throw uriError(`The connect URI "${text}" has no port`, `write ${scheme}://${url.host}:PORT`);
  return { scheme, host: bareHost(url), port: Number(url.port), path: streamPath(url, text, scheme, 'connect') };
}
