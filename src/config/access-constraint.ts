/**
 * `<access-constraint>` (this gateway's addition to a service, after Kaazing's `cross-site-constraint*`): its
 * content model, and each condition's value checked with the auth module's own parsers. Values are kept as written;
 * the auth module compiles them into matchers at start-up.
 */
import { compileAddressList } from '../auth/cidr.js';
import { normalizeFingerprint } from '../auth/fingerprint.js';
import { parsePathIdentity } from '../auth/path-identity.js';
import { parseSanPattern } from '../auth/san.js';
import { parseSubjectPattern } from '../auth/subject.js';
import { GatewayError } from '../errors.js';
import { attempt, type Diagnostics } from './diagnostics.js';
import { anyOrder, checkChildren, leafText } from './structure.js';
import type { AccessConstraintConfig } from './types.js';
import type { XmlElement } from './xml.js';

const CONTENT = anyOrder('client-subject*', 'client-san*', 'client-fingerprint*', 'client-address*', 'path-identity?');

// The grammar of each condition is the auth module's, which compiles the values at start-up: checking with the
// same parsers here is what lets `gateway check` point at the line of a typo, and keeps the two from drifting.

export function checkSubject(text: string): string {
  const t = text.trim();
  // auth tolerates a trailing separator; a config that ends a subject with one most likely lost an attribute.
  if (/[,+;]$/.test(t) && !/\\[,+;]$/.test(t)) {
    throw new GatewayError('GW_ERR_CONFIG_VALUE', `<client-subject> "${t}" is not valid: it ends with "${t.slice(-1)}"`, {
      hint: 'remove the separator or add the attribute that should follow it',
    });
  }
  parseSubjectPattern(t);
  return t;
}

export function checkSan(text: string): string {
  parseSanPattern(text);
  return text;
}

export function checkFingerprint(text: string): string {
  normalizeFingerprint(text);
  return text;
}

export function checkPathIdentity(text: string): string {
  parsePathIdentity(text);
  return text;
}

export function checkAddress(text: string): string {
  return compileAddressList([text], '<client-address>').entries[0] as string;
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
  const addresses = values('client-address', checkAddress);
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
