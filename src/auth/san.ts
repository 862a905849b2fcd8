/**
 * `<client-san>DNS:*.devices.acme.com</client-san>`: the certificate holds a subject alternative name of that kind
 * that matches. `URI:` is how SPIFFE IDs are carried (`URI:spiffe://acme.com/device/*`).
 *
 * DNS names compare case-insensitively (they are), and their `*` stays within one label as in certificate name
 * matching. URI and EMAIL compare exactly, with `*` standing for any characters. IP takes an address or a CIDR
 * block instead of wildcards.
 */
import { GatewayError, type SourcePosition } from '../errors.js';
import { compileAddressList, type AddressList } from './cidr.js';
import type { SanType, SubjectAltName } from './types.js';
import { splitWildcards, wildcardMatch, type WildcardPattern } from './wildcard.js';

export const SAN_TYPES: readonly SanType[] = ['DNS', 'URI', 'EMAIL', 'IP'];

export type SanPattern =
  | { readonly text: string; readonly type: 'DNS' | 'URI' | 'EMAIL'; readonly value: WildcardPattern }
  | { readonly text: string; readonly type: 'IP'; readonly addresses: AddressList };

export function parseSanType(kind: string): SanType | undefined {
  const upper = kind.trim().toUpperCase();
  return (SAN_TYPES as readonly string[]).includes(upper) ? (upper as SanType) : undefined;
}

export function parseSanPattern(text: string, position?: SourcePosition): SanPattern {
  const colon = text.indexOf(':');
  const type = colon < 0 ? undefined : parseSanType(text.slice(0, colon));
  if (type === undefined) {
    const kind = colon < 0 ? '' : text.slice(0, colon).trim();
    throw new GatewayError(
      'GW_ERR_CONFIG_VALUE',
      `<client-san> "${text}" ${colon < 0 ? 'does not start with a kind' : `names an unknown kind "${kind}"`}`,
      { position, hint: `start with one of ${SAN_TYPES.map((t) => `${t}:`).join(', ')}, e.g. DNS:*.devices.acme.com` },
    );
  }
  const value = text.slice(colon + 1).trim();
  if (value === '') {
    throw new GatewayError('GW_ERR_CONFIG_VALUE', `<client-san> "${text}" has no value after "${type}:"`, { position });
  }
  if (type === 'IP') return { text, type, addresses: compileAddressList([value], '<client-san> IP:', position) };
  return { text, type, value: splitWildcards(type === 'DNS' ? value.toLowerCase() : value) };
}

export function sanMatches(pattern: SanPattern, sans: readonly SubjectAltName[]): boolean {
  return sans.some((san) => {
    if (san.type !== pattern.type) return false;
    if (pattern.type === 'IP') return pattern.addresses.contains(san.value);
    if (pattern.type === 'DNS') return wildcardMatch(pattern.value, san.value.toLowerCase(), false);
    return wildcardMatch(pattern.value, san.value);
  });
}
