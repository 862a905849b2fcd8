/**
 * Value grammars of gateway-config.xml. Each function takes the text of one element (already trimmed or not) and
 * returns the typed value or throws a GatewayError GW_ERR_CONFIG_VALUE without a position; the caller knows the
 * element and adds it.
 */
import { BlockList, isIP } from 'node:net';
import { GatewayError } from '../errors.js';
import { resolveInterface, splitInterfaceHost, type Interfaces } from './interfaces.js';
import type { HostPort } from './types.js';

function valueError(message: string, hint?: string): GatewayError {
  return new GatewayError('GW_ERR_CONFIG_VALUE', message, { hint });
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 * 1024 };

/** Kaazing's data size: digits with an optional `k` (×1024) or `m` (×1024²) suffix, any case. `128kB` is invalid. */
export function parseDataSize(text: string): number {
  const m = /^(\d+)([kKmM]?)$/.exec(text.trim());
  if (!m) {
    throw valueError(`Invalid data size "${text.trim()}": expected digits with an optional k or m suffix`, 'for example 65536, 128k or 1m');
  }
  const bytes = Number(m[1]) * (SIZE_UNITS[(m[2] as string).toLowerCase()] as number);
  if (!Number.isSafeInteger(bytes)) throw valueError(`Data size "${text.trim()}" is too large`);
  return bytes;
}

const TIME_UNITS: readonly [RegExp, number][] = [
  [/^(ms|msecs?|millis?|milliseconds?)$/, 1],
  [/^(|s|secs?|seconds?)$/, 1000],
  [/^(m|mins?|minutes?)$/, 60_000],
  [/^(h|hours?)$/, 3_600_000],
  [/^(d|days?)$/, 86_400_000],
  [/^(w|weeks?)$/, 7 * 86_400_000],
  // Kaazing's year is 365 days.
  [/^(y|years?)$/, 365 * 86_400_000],
];

/**
 * Kaazing's time interval → milliseconds: a number, an optional space, an optional unit (`ms`, `s`, `m`, `h`, `d`,
 * `w`, `y` and their long forms, any case). A bare number is seconds.
 */
export function parseTimeInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = m ? (m[2] as string).toLowerCase() : undefined;
  const factor = unit === undefined ? undefined : TIME_UNITS.find(([re]) => re.test(unit))?.[1];
  if (!m || factor === undefined) {
    throw valueError(
      `Invalid time interval "${text.trim()}": expected a number with an optional unit ms, s, m, h, d, w or y (bare = seconds)`,
      'for example 30, 30s, 1500ms or 5 minutes',
    );
  }
  const ms = Math.round(Number(m[1]) * factor);
  if (!Number.isSafeInteger(ms)) throw valueError(`Time interval "${text.trim()}" is too large`);
  return ms;
}

/** The longest delay a Node timer keeps (2^31 - 1 ms, about 24.8 days): a longer one fires after 1 ms instead. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A time interval the gateway waits out with a timer (a timeout, a keep-alive): at most MAX_TIMEOUT_MS. */
export function parseTimeout(text: string): number {
  const ms = parseTimeInterval(text);
  if (ms > MAX_TIMEOUT_MS) throw valueError(`Time interval "${text.trim()}" is longer than the longest timeout the gateway keeps, 24 days`);
  return ms;
}

/** A time interval that must be whole seconds (Kaazing counts these in seconds), returned in seconds. */
export function parseSeconds(text: string): number {
  const ms = parseTimeInterval(text);
  if (ms % 1000 !== 0) throw valueError(`"${text.trim()}" is not a whole number of seconds`);
  return ms / 1000;
}

export function parseNonNegativeInteger(text: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t) || !Number.isSafeInteger(Number(t))) throw valueError(`"${t}" is not a whole number (0 or more)`);
  return Number(t);
}

/** One of `allowed`, compared case-insensitively; returns the allowed spelling. */
export function parseEnum<T extends string>(text: string, allowed: readonly T[], what: string): T {
  const t = text.trim();
  const found = allowed.find((a) => a.toLowerCase() === t.toLowerCase());
  if (found === undefined) {
    throw valueError(`Invalid ${what} "${t}": allowed values are ${allowed.join(', ')}`);
  }
  return found;
}

export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw valueError(`Invalid port "${text}": expected 0 to 65535`);
  return Number(text);
}

/**
 * A bind address: `port` (all IPv4 interfaces), `host:port`, or `[v6address]:port`. The host is lower-cased and an
 * IPv6 host is returned without brackets.
 */
export function parseBind(text: string, interfaces?: Interfaces): HostPort {
  const t = text.trim();
  const hint = 'write 8080, 127.0.0.1:8080, example.com:8080, [::1]:8080 or [@eth0]:8080';
  if (/^\d+$/.test(t)) return { host: '0.0.0.0', port: parsePort(t) };
  const iface = splitInterfaceHost(t);
  if (iface) {
    const port = /^:(\d+)$/.exec(iface.rest);
    if (!port) throw valueError(`Invalid bind address "${t}": expected [@interface]:port`, hint);
    return { host: resolveInterface(iface.name, interfaces), port: parsePort(port[1] as string) };
  }
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(t);
  if (v6) return { host: (v6[1] as string).toLowerCase(), port: parsePort(v6[2] as string) };
  const hp = /^([A-Za-z0-9._-]+):(\d+)$/.exec(t);
  if (!hp) throw valueError(`Invalid bind address "${t}": expected port or host:port`, hint);
  return { host: (hp[1] as string).toLowerCase(), port: parsePort(hp[2] as string) };
}

const PROTOCOLS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
const REFUSED_PROTOCOLS: Record<string, string> = {
  sslv3: 'SSLv3 is broken (POODLE) and not available in this gateway',
  sslv2: 'SSLv2 is broken and not available in this gateway',
  sslv2hello: 'SSLv2Hello is a Java-only handshake format this gateway does not speak',
};

/** `ssl.protocols`: a comma list of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 (any case), de-duplicated, in canonical spelling. */
export function parseProtocols(text: string): readonly string[] {
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    const refused = REFUSED_PROTOCOLS[name.toLowerCase()];
    if (refused !== undefined) throw valueError(`ssl.protocols: ${refused}`, `use ${PROTOCOLS.slice(2).join(', ')}`);
    const found = PROTOCOLS.find((p) => p.toLowerCase() === name.toLowerCase());
    if (found === undefined) {
      throw valueError(`ssl.protocols: unknown protocol "${name}": allowed values are ${PROTOCOLS.join(', ')}`);
    }
    if (!out.includes(found)) out.push(found);
  }
  if (out.length === 0) throw valueError(`ssl.protocols is empty: allowed values are ${PROTOCOLS.join(', ')}`);
  return out;
}

/**
 * `ssl.ciphers`: kept as written (Java or OpenSSL names; the tls module maps them), but checked for shape: no
 * empty entries, and `DEFAULT` only as the first entry, as Kaazing requires.
 */
export function parseCiphers(text: string): string {
  const entries = text.split(',').map((e) => e.trim());
  if (entries.some((e) => e === '')) {
    throw valueError(`ssl.ciphers "${text.trim()}" has an empty entry`, 'separate cipher names with single commas');
  }
  const defaultAt = entries.findIndex((e) => e.toUpperCase() === 'DEFAULT');
  if (defaultAt > 0) throw valueError('ssl.ciphers: DEFAULT may only be the first entry', `write DEFAULT,${entries.filter((_, i) => i !== defaultAt).join(',')}`);
  return entries.join(',');
}

/**
 * An IPv4 or IPv6 address, or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`), returned as written (trimmed).
 * `what` names the element for the message. node:net's BlockList is what the gateway matches with, so a value it
 * takes here is one the auth and listener modules can use.
 */
export function parseAddressBlock(text: string, what: string): string {
  const t = text.trim();
  const hint = 'write an address (10.1.2.3, 2001:db8::7) or a CIDR block (10.0.0.0/8, 2001:db8::/32)';
  const slash = t.indexOf('/');
  const address = slash < 0 ? t : t.slice(0, slash);
  if (address.startsWith('[')) throw valueError(`${what} "${t}": write IPv6 addresses without brackets`, hint);
  if (address.includes('%')) throw valueError(`${what} "${t}": a zone index (%…) cannot be part of an address rule`, hint);
  const family = isIP(address);
  if (family === 0) throw valueError(`${what} "${t}" is not an IP address or CIDR block`, hint);
  if (slash >= 0) {
    const prefix = t.slice(slash + 1);
    const max = family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) {
      throw valueError(`${what} "${t}": the prefix length "${prefix}" is not a number from 0 to ${max}`, hint);
    }
    try {
      new BlockList().addSubnet(address, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
    } catch (e) {
      throw new GatewayError('GW_ERR_CONFIG_VALUE', `${what} "${t}" is not a valid CIDR block`, { cause: e, hint });
    }
  }
  return t;
}

/** A list of addresses or CIDR blocks separated by commas and/or white space; at least one. */
export function parseAddressList(text: string, what: string): readonly string[] {
  const entries = text.split(/[\s,]+/).filter((e) => e !== '');
  if (entries.length === 0) throw valueError(`${what} is empty: it must list at least one address or CIDR block`, 'for example 10.0.0.0/8, 192.168.1.10');
  return entries.map((e) => parseAddressBlock(e, what));
}
