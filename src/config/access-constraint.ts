/**
 * `<access-constraint>` (this gateway's addition to a service, after Kaazing's `cross-site-constraint*`): its
 * content model and the syntax of each condition's value. Values are kept as written; the auth module compiles
 * them into matchers. Checking the syntax here is what lets `gateway check` point at the line of a typo instead of
 * the gateway failing later without a position.
 */
import { GatewayError } from '../errors.js';
import { attempt, type Diagnostics } from './diagnostics.js';
import { parseAddressBlock } from './grammar.js';
import { anyOrder, checkChildren, leafText } from './structure.js';
import type { AccessConstraintConfig } from './types.js';
import { SAN_KINDS } from './vocabulary.js';
import type { XmlElement } from './xml.js';

const CONTENT = anyOrder('client-subject*', 'client-san*', 'client-fingerprint*', 'client-address*', 'path-identity?');

function valueError(message: string, hint?: string): GatewayError {
  return new GatewayError('GW_ERR_CONFIG_VALUE', message, { hint });
}

/** A keyword (`CN`, `emailAddress`) or a dotted OID, as RFC 4514 allows for attribute types. */
const ATTRIBUTE_NAME = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$/;

/** Characters RFC 4514 lets a backslash escape, plus `*` (a literal star: the auth module reads `*` as a wildcard). */
const ESCAPABLE = new Set([',', '+', '"', '\\', '<', '>', ';', '=', ' ', '#', '*']);

/**
 * `<client-subject>`: `attr=value` pairs separated by unescaped `,`, `+` or `;`. Values may use RFC 4514
 * escapes (`\,`, `\2C`); an unescaped `"`, `=`, `<`, `>` or a leading `#` (hex-encoded values) is refused.
 */
export function checkSubject(text: string): string {
  const t = text.trim();
  const fail = (why: string): never => {
    throw valueError(`<client-subject> "${t}" is not valid: ${why}`, 'write attribute=value pairs separated by commas, e.g. OU=devices, O=Acme; escape , + ; \\ with a backslash');
  };
  if (t === '') fail('it is empty');
  let i = 0;
  while (i < t.length) {
    const eq = t.indexOf('=', i);
    if (eq < 0) fail(`"${t.slice(i).trim()}" has no "="`);
    const name = t.slice(i, eq).trim();
    if (!ATTRIBUTE_NAME.test(name)) fail(name === '' ? 'an attribute name is missing before "="' : `"${name}" is not an attribute name`);
    i = checkValue(t, eq + 1, name, fail);
  }
  return t;
}

/** Reads one value from `start` to just past its separator; returns where the next pair starts. */
function checkValue(text: string, start: number, name: string, fail: (why: string) => never): number {
  let significant = false;
  let i = start;
  for (; i < text.length; i++) {
    const c = text[i] as string;
    if (c === ',' || c === '+' || c === ';') {
      if (i === text.length - 1) fail(`it ends with "${c}"`);
      i++;
      break;
    }
    if (c === '\\') {
      const next = text[i + 1];
      if (/^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) i += 2;
      else if (next !== undefined && ESCAPABLE.has(next)) i += 1;
      else fail(next === undefined ? `the value of ${name} ends with a lone "\\"` : `"\\${next}" in the value of ${name} is not an escape`);
      significant = true;
    } else if (c === '"' || c === '=' || c === '<' || c === '>' || (c === '#' && !significant)) {
      fail(`"${c}" in the value of ${name} must be escaped as "\\${c}"`);
    } else if (c !== ' ') {
      significant = true;
    }
  }
  if (!significant) fail(`the value of ${name} is empty`);
  return i;
}

/** `<client-san>`: a kind prefix (`DNS:`, `URI:`, `EMAIL:`, `IP:`, any case) and a value; `IP:` takes an address or CIDR block. */
export function checkSan(text: string): string {
  const t = text.trim();
  const hint = `start with one of ${SAN_KINDS.map((k) => `${k}:`).join(', ')}, e.g. DNS:*.devices.acme.com`;
  const colon = t.indexOf(':');
  const kind = colon < 0 ? undefined : SAN_KINDS.find((k) => k === t.slice(0, colon).trim().toUpperCase());
  if (kind === undefined) {
    throw valueError(colon < 0 ? `<client-san> "${t}" does not start with a kind` : `<client-san> "${t}" names an unknown kind "${t.slice(0, colon).trim()}"`, hint);
  }
  const value = t.slice(colon + 1).trim();
  if (value === '') throw valueError(`<client-san> "${t}" has no value after "${kind}:"`, hint);
  if (kind === 'IP') parseAddressBlock(value, '<client-san> IP:');
  return t;
}

/**
 * `<client-fingerprint>`: SHA-256 as 32 bytes of hex, colon-separated (keytool's `AB:CD:…`) or plain
 * (`sha256sum`); a leading `SHA256:` label, as keytool prints the line, is allowed.
 */
export function checkFingerprint(text: string): string {
  const t = text.trim();
  const body = t.replace(/^SHA-?256\s*(?:Fingerprint)?\s*[:=]\s*/i, '');
  const colon = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*$/.test(body);
  const hex = colon ? body.replace(/:/g, '') : body;
  if (!/^[0-9A-Fa-f]*$/.test(hex) || hex.length !== 64) {
    const bytes = /^[0-9A-Fa-f]*$/.test(hex) && hex.length % 2 === 0 ? ` (it has ${hex.length / 2} bytes)` : '';
    throw valueError(
      `<client-fingerprint> "${t}" is not a SHA-256 fingerprint: it must be 32 bytes of hex, colon-separated or plain${bytes}`,
      'copy the SHA256 line of `keytool -list -v` or of `openssl x509 -noout -fingerprint -sha256`',
    );
  }
  return t;
}

/** `<path-identity>`: a subject attribute name (`CN`, `OU`, an OID) or `SAN:DNS`, `SAN:URI`, `SAN:EMAIL`, `SAN:IP`. */
export function checkPathIdentity(text: string): string {
  const t = text.trim();
  const hint = `use a subject attribute such as CN or OU, or one of ${SAN_KINDS.map((k) => `SAN:${k}`).join(', ')}`;
  const san = /^SAN:(.*)$/i.exec(t);
  if (san) {
    const kind = (san[1] as string).trim().toUpperCase();
    if (!(SAN_KINDS as readonly string[]).includes(kind)) throw valueError(`<path-identity> "${t}" names an unknown SAN kind "${(san[1] as string).trim()}"`, hint);
    return t;
  }
  if (!ATTRIBUTE_NAME.test(t)) throw valueError(`<path-identity> "${t}" is not a subject attribute or SAN kind`, hint);
  return t;
}

/** Reads one `<access-constraint>`; undefined when it is empty or a value is invalid (each problem is recorded). */
export function readAccessConstraint(element: XmlElement, diags: Diagnostics): AccessConstraintConfig | undefined {
  const children = checkChildren(element, CONTENT, diags);
  let failed = false;
  const values = (name: string, check: (text: string) => string): string[] => {
    const out: string[] = [];
    for (const e of children.get(name) ?? []) {
      const value = attempt(diags, e.position, () => check(leafText(e, diags)));
      if (value === undefined) failed = true;
      else out.push(value);
    }
    return out;
  };
  const subjects = values('client-subject', checkSubject);
  const sans = values('client-san', checkSan);
  const fingerprints = values('client-fingerprint', checkFingerprint);
  const addresses = values('client-address', (text) => parseAddressBlock(text, '<client-address>'));
  // A second <path-identity> is already reported as a duplicate; only the first is read.
  const pathIdentity = values('path-identity', checkPathIdentity)[0];
  if ([...children.keys()].length === 0) {
    diags.error(
      'GW_ERR_CONFIG_MISSING',
      '<access-constraint> is empty: a constraint without a condition would admit every client, hiding the other constraints',
      element.position,
      'add <client-subject>, <client-san>, <client-fingerprint>, <client-address> or <path-identity>, or remove it',
    );
    return undefined;
  }
  if (failed) return undefined;
  return { subjects, sans, fingerprints, addresses, pathIdentity, position: element.position };
}
