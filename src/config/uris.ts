/**
 * Accept and connect URIs. Accepts are `ws://` or `wss://` (other Kaazing schemes are refused as unsupported);
 * connects are `tcp://host:port` or `ssl://host:port`.
 */
import { GatewayError } from '../errors.js';

export interface ParsedAccept {
  readonly scheme: 'ws' | 'wss';
  readonly host: string;
  readonly port: number;
  readonly path: string;
}

export interface ParsedConnect {
  readonly scheme: 'tcp' | 'ssl';
  readonly host: string;
  readonly port: number;
}

function uriError(message: string, hint?: string): GatewayError {
  return new GatewayError('GW_ERR_CONFIG_URI', message, { hint });
}

function parseUrl(text: string, what: string): URL {
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(text)) throw uriError(`Invalid ${what} URI "${text}": expected scheme://host:port/path`);
  try {
    return new URL(text);
  } catch (e) {
    throw new GatewayError('GW_ERR_CONFIG_URI', `Invalid ${what} URI "${text}"`, { cause: e });
  }
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

export function parseAcceptUri(text: string): ParsedAccept {
  const url = parseUrl(text, 'accept');
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme !== 'ws' && scheme !== 'wss') {
    throw new GatewayError('GW_ERR_CONFIG_UNSUPPORTED', `Accept scheme "${scheme}://" is not supported: this gateway accepts ws:// and wss:// only`, {
      hint: scheme === 'http' || scheme === 'https' ? 'HTTP file and API serving is not provided' : undefined,
    });
  }
  rejectExtras(url, text, 'accept');
  const port = url.port === '' ? (scheme === 'ws' ? 80 : 443) : Number(url.port);
  const path = url.pathname.replace(/\/+$/, '') || '/';
  return { scheme, host: bareHost(url), port, path };
}

export function parseConnectUri(text: string): ParsedConnect {
  const url = parseUrl(text, 'connect');
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme !== 'tcp' && scheme !== 'ssl') {
    throw new GatewayError('GW_ERR_CONFIG_UNSUPPORTED', `Connect scheme "${scheme}://" is not supported: this gateway connects to tcp:// and ssl:// backends only`);
  }
  rejectExtras(url, text, 'connect');
  if (url.port === '' || url.port === '0') throw uriError(`The connect URI "${text}" has no port`, `write ${scheme}://${url.host}:PORT`);
  if (url.pathname !== '' && url.pathname !== '/') throw uriError(`The connect URI "${text}" must not have a path: a ${scheme}:// backend is a host and port`);
  return { scheme, host: bareHost(url), port: Number(url.port) };
}
