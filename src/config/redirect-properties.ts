/**
 * An `http.redirect` service's `<properties>` (Kaazing's `redirectServicePropertiesType`): `location`, then any
 * `cache-control`, then `status-code`. Two differences from Kaazing, both documented: the request's path (below
 * the accept path) and query are appended to `location`, which an http:// → https:// redirect needs; and the
 * status defaults to 301 rather than 300.
 */
import { attempt, type Diagnostics } from './diagnostics.js';
import { GatewayError } from '../errors.js';
import { checkChildren, first, leafText, sequence } from './structure.js';
import type { RedirectProperties } from './types.js';
import type { XmlElement } from './xml.js';

const REDIRECT_CONTENT = sequence('location', 'cache-control*', 'status-code?');

export const DEFAULT_REDIRECT_STATUS = 301;

export function readRedirectProperties(block: XmlElement | undefined, service: XmlElement, diags: Diagnostics): RedirectProperties | undefined {
  if (block === undefined) {
    diags.error('GW_ERR_CONFIG_MISSING', 'Missing required element: <properties> in an http.redirect service (it needs <location>)', service.position, 'add <properties><location>https://www.example.com</location></properties>');
    return undefined;
  }
  const children = checkChildren(block, REDIRECT_CONTENT, diags);
  const locationElement = first(children, 'location');
  const location = locationElement && attempt(diags, locationElement.position, () => parseLocation(leafText(locationElement, diags)));
  const cacheControl: string[] = [];
  for (const e of children.get('cache-control') ?? []) {
    const value = leafText(e, diags).replace(/\s+/g, ' ');
    if (value === '' || /[\0-\x1f\x7f]/.test(value)) diags.error('GW_ERR_CONFIG_VALUE', `Invalid <cache-control> "${value}": expected directives such as no-cache or max-age=0`, e.position);
    else cacheControl.push(value);
  }
  const statusElement = first(children, 'status-code');
  const statusCode = statusElement === undefined ? DEFAULT_REDIRECT_STATUS : attempt(diags, statusElement.position, () => parseStatus(leafText(statusElement, diags)));
  if (location === undefined || statusCode === undefined) return undefined;
  return { location, statusCode, cacheControl: cacheControl.length === 0 ? undefined : cacheControl.join(', ') };
}

/** An absolute http(s) URL without a query or fragment (the request's are appended), kept without a trailing slash. */
function parseLocation(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new GatewayError('GW_ERR_CONFIG_VALUE', `Invalid <location> "${text}": expected an absolute URL such as https://www.example.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new GatewayError('GW_ERR_CONFIG_VALUE', `Invalid <location> "${text}": expected an http:// or https:// URL`);
  if (url.search !== '' || url.hash !== '' || text.includes('?') || text.includes('#')) {
    throw new GatewayError('GW_ERR_CONFIG_VALUE', `<location> "${text}" must not have a query or fragment: the request's path and query are appended to it`);
  }
  if (url.username !== '' || url.password !== '') throw new GatewayError('GW_ERR_CONFIG_VALUE', `<location> "${text}" must not carry a user name or password`);
  return url.href.replace(/\/+$/, '');
}

function parseStatus(text: string): number {
  const n = /^\d{3}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 300 && n <= 399)) throw new GatewayError('GW_ERR_CONFIG_VALUE', `Wrong value for status-code: ${text}. Valid values are integers between 300 and 399`, { hint: 'usually 301 (moved permanently), 302 or 307, or 308 to keep the method' });
  return n;
}
