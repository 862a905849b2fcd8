/**
 * Kaazing's `<cache-control>` value of a directory service's `<location>`: comma-separated directives, each a name
 * (`no-cache`, `public`, …) or a name with a time interval in seconds' units up to years (`max-age=1 year`).
 * `max-age=m+N` is Kaazing's "N after the file was last modified": the age is worked out per response.
 */
import { GatewayError } from '../errors.js';
import { parseTimeInterval } from './grammar.js';
import type { CacheControl } from './types.js';

/** The directives Kaazing knows (its `Directive` enum); the valued ones take a time interval. */
const FLAG_DIRECTIVES = ['no-cache', 'no-store', 'no-transform', 'must-revalidate', 'public', 'private', 'proxy-revalidate'] as const;
const VALUED_DIRECTIVES = ['max-age', 's-maxage'] as const;

function valueError(message: string): GatewayError {
  return new GatewayError('GW_ERR_CONFIG_VALUE', message, { hint: 'for example max-age=1 year, no-cache, or max-age=m+1 day' });
}

function parseSeconds(directive: string, text: string): number {
  let ms: number;
  try {
    ms = parseTimeInterval(text);
  } catch {
    throw valueError(`Invalid ${directive} value "${text}": expected a number with an optional unit (ms, s, m, h, d, w, y)`);
  }
  return Math.floor(ms / 1000);
}

export function parseCacheControl(text: string): CacheControl {
  const flags: string[] = [];
  const values: { name: string; seconds: number }[] = [];
  let maxAgeS: number | undefined;
  let maxAgeAfterModifiedS: number | undefined;
  const seen = new Set<string>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const name = (eq < 0 ? entry : entry.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : entry.slice(eq + 1).trim();
    const sinceModified = value !== undefined && /^m\s*\+/i.test(value);
    const key = sinceModified ? 'max-age=m+' : name;
    if (seen.has(key)) throw valueError(`Duplicate cache-control directive "${name}" in "${text}"`);
    seen.add(key);
    if ((FLAG_DIRECTIVES as readonly string[]).includes(name)) {
      if (value !== undefined) throw valueError(`The cache-control directive "${name}" takes no value`);
      flags.push(name);
    } else if ((VALUED_DIRECTIVES as readonly string[]).includes(name)) {
      if (value === undefined) throw valueError(`The cache-control directive "${name}" needs a value, e.g. ${name}=1 day`);
      if (sinceModified && name !== 'max-age') throw valueError(`Only max-age takes m+ (after the file's modification), not "${name}"`);
      const seconds = parseSeconds(name, sinceModified ? value.replace(/^m\s*\+/i, '').trim() : value);
      if (name === 'max-age') {
        if (sinceModified) maxAgeAfterModifiedS = seconds;
        else maxAgeS = seconds;
      } else {
        values.push({ name, seconds });
      }
    } else {
      throw valueError(`Unknown cache-control directive "${name}": expected one of ${[...FLAG_DIRECTIVES, ...VALUED_DIRECTIVES].join(', ')}`);
    }
  }
  if (seen.size === 0) throw valueError('Empty <cache-control>');
  return { flags, values, maxAgeS, maxAgeAfterModifiedS };
}
