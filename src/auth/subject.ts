/**
 * `<client-subject>OU=devices, O=Acme</client-subject>`: a list of attribute=value pairs, written as an RFC 4514
 * distinguished name, every one of which the certificate's subject must hold. Matching is attribute-wise, not on
 * the printed DN: order, spacing and the attributes not named do not matter, which is what an operator means and
 * what survives differences between how Java, OpenSSL and Node print a subject.
 */
import { GatewayError, type SourcePosition } from '../errors.js';
import { wildcardMatch, type WildcardPattern } from './wildcard.js';

export interface SubjectPattern {
  /** As written, for messages. */
  readonly text: string;
  /** Normalised (upper-case, aliases resolved) attribute names with their value patterns. */
  readonly attributes: readonly { readonly name: string; readonly value: WildcardPattern }[];
}

/** Names that tools spell differently for the same attribute (Java's keytool, OpenSSL, RFC 4514). */
const ALIASES: Readonly<Record<string, string>> = { E: 'EMAILADDRESS', EMAIL: 'EMAILADDRESS', S: 'ST' };

/** Upper case with aliases resolved: `emailAddress`, `E` and `EMAIL` all become `EMAILADDRESS`. */
export function normalizeAttributeName(name: string): string {
  const upper = name.trim().toUpperCase();
  return ALIASES[upper] ?? upper;
}

/** A keyword (`CN`, `emailAddress`) or a dotted OID, as RFC 4514 allows. */
const ATTRIBUTE_NAME = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$/;

/** Characters RFC 4514 lets a backslash escape, plus `*` (literal star, an extension for wildcards). */
const ESCAPABLE = new Set([',', '+', '"', '\\', '<', '>', ';', '=', ' ', '#', '*']);

const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;

export function parseSubjectPattern(text: string, position?: SourcePosition): SubjectPattern {
  const fail = (why: string): never => {
    throw new GatewayError('GW_ERR_CONFIG_VALUE', `<client-subject> "${text}" is not valid: ${why}`, {
      position,
      hint: 'write attribute=value pairs separated by commas, e.g. "OU=devices, O=Acme"; escape , + ; \\ with a backslash',
    });
  };
  const attributes: { name: string; value: WildcardPattern }[] = [];
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) fail(`"${text.slice(i).trim()}" has no "="`);
    const rawName = text.slice(i, eq).trim();
    if (!ATTRIBUTE_NAME.test(rawName)) {
      fail(rawName === '' ? 'an attribute name is missing before "="' : `"${rawName}" is not an attribute name`);
    }
    const value = readValue(text, eq + 1, rawName, fail);
    attributes.push({ name: normalizeAttributeName(rawName), value: value.pattern });
    i = value.end;
  }
  if (attributes.length === 0) fail('it names no attribute');
  return { text, attributes };
}

/**
 * Reads one value up to an unescaped `,`, `+` or `;` (all three separate pairs: `+` joins a multi-valued RDN, which
 * attribute-wise matching treats like `,`). Unescaped spaces at either end are insignificant, escaped ones kept.
 * `\XX` hex pairs are bytes of UTF-8, so `\C3\A9` is `é`.
 */
function readValue(
  text: string,
  start: number,
  name: string,
  fail: (why: string) => never,
): { pattern: WildcardPattern; end: number } {
  const pieces: string[] = [];
  let current = '';
  let pendingSpaces = '';
  let bytes: number[] = [];
  let significant = false;
  const flushBytes = (): void => {
    if (bytes.length === 0) return;
    try {
      current += new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
    } catch {
      fail(`the escaped bytes in the value of ${name} are not UTF-8`);
    }
    bytes = [];
  };
  const literal = (s: string): void => {
    flushBytes();
    current += pendingSpaces + s;
    pendingSpaces = '';
    significant = true;
  };
  let i = start;
  for (; i < text.length; i++) {
    const c = text[i] as string;
    if (c === ',' || c === '+' || c === ';') {
      i++;
      break;
    }
    if (c === '\\') {
      const pair = text.slice(i + 1, i + 3);
      if (HEX_PAIR.test(pair)) {
        current += pendingSpaces;
        pendingSpaces = '';
        bytes.push(parseInt(pair, 16));
        significant = true;
        i += 2;
        continue;
      }
      const next = text[i + 1];
      if (next === undefined || !ESCAPABLE.has(next)) {
        fail(next === undefined ? `the value of ${name} ends with a lone "\\"` : `"\\${next}" in the value of ${name} is not an escape`);
      }
      literal(next as string);
      i++;
    } else if (c === ' ') {
      if (significant) pendingSpaces += ' ';
    } else if (c === '*') {
      flushBytes();
      current += pendingSpaces;
      pendingSpaces = '';
      pieces.push(current);
      current = '';
      significant = true;
    } else if (c === '"' || c === '=' || c === '<' || c === '>' || (c === '#' && !significant)) {
      fail(`"${c}" in the value of ${name} must be escaped as "\\${c}" (hex-encoded #… values are not supported)`);
    } else {
      literal(c);
    }
  }
  flushBytes();
  if (!significant) fail(`the value of ${name} is empty`);
  pieces.push(current);
  return { pattern: pieces, end: i };
}

/** Certificate attributes keyed by normalised name, built once per check. */
export function normalizeSubjectAttributes(
  attributes: Readonly<Record<string, readonly string[]>>,
): ReadonlyMap<string, readonly string[]> {
  const out = new Map<string, string[]>();
  for (const [name, values] of Object.entries(attributes)) {
    const key = normalizeAttributeName(name);
    const list = out.get(key) ?? [];
    list.push(...values);
    out.set(key, list);
  }
  return out;
}

/** Every attribute of the pattern is held: some value of that attribute (there may be several OUs) matches. */
export function subjectMatches(pattern: SubjectPattern, attributes: ReadonlyMap<string, readonly string[]>): boolean {
  return pattern.attributes.every(({ name, value }) => (attributes.get(name) ?? []).some((v) => wildcardMatch(value, v)));
}
