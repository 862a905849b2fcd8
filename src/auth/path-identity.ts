/**
 * `<path-identity>CN</path-identity>`: ties a URL to the certificate that may use it. With accept path
 * `/v1/devices`, the client with CN `device-1` may open `/v1/devices/device-1` and nothing else under it. The
 * segment is compared exactly after URL decoding, so `%2F` cannot smuggle a `/` into another device's name and a
 * case difference is a different device.
 */
import { GatewayError, type SourcePosition } from '../errors.js';
import { parseSanType, SAN_TYPES } from './san.js';
import { normalizeAttributeName } from './subject.js';
import type { AccessIdentity, SanType } from './types.js';

export type PathIdentitySource =
  | { readonly text: string; readonly kind: 'subject'; readonly attribute: string }
  | { readonly text: string; readonly kind: 'san'; readonly type: SanType };

export function parsePathIdentity(text: string, position?: SourcePosition): PathIdentitySource {
  const trimmed = text.trim();
  const san = /^SAN:(.*)$/i.exec(trimmed);
  if (san) {
    const type = parseSanType(san[1] ?? '');
    if (type === undefined) {
      throw new GatewayError('GW_ERR_CONFIG_VALUE', `<path-identity> "${text}" names an unknown SAN kind`, {
        position,
        hint: `use one of ${SAN_TYPES.map((t) => `SAN:${t}`).join(', ')}`,
      });
    }
    return { text: trimmed, kind: 'san', type };
  }
  if (!/^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$/.test(trimmed)) {
    throw new GatewayError('GW_ERR_CONFIG_VALUE', `<path-identity> "${text}" is not a subject attribute or SAN kind`, {
      position,
      hint: 'use a subject attribute such as CN or OU, or SAN:DNS, SAN:URI, SAN:EMAIL, SAN:IP',
    });
  }
  return { text: trimmed, kind: 'subject', attribute: normalizeAttributeName(trimmed) };
}

/** The certificate's values that the segment may equal. */
export function pathIdentityValues(source: PathIdentitySource, identity: AccessIdentity): readonly string[] {
  if (source.kind === 'san') return identity.sans.filter((s) => s.type === source.type).map((s) => s.value);
  const values: string[] = [];
  for (const [name, list] of Object.entries(identity.subjectAttributes)) {
    if (normalizeAttributeName(name) === source.attribute) values.push(...list);
  }
  return values;
}

/**
 * The first path segment after the accept path, URL-decoded, or why there is none. The query string is not part
 * of the path. `acceptPath` is the route's path without a trailing slash (`/` for the root).
 */
export function firstSegmentAfter(
  acceptPath: string,
  requestPath: string,
): { readonly segment: string } | { readonly problem: string } {
  const path = requestPath.replace(/[?#].*$/s, '');
  const base = acceptPath === '/' ? '' : acceptPath.replace(/\/+$/, '');
  if (path !== base && !path.startsWith(base + '/')) {
    return { problem: `the request path ${JSON.stringify(path)} is not under the accept path ${JSON.stringify(acceptPath)}` };
  }
  const raw = path.slice(base.length + 1).split('/')[0] ?? '';
  if (raw === '') {
    return {
      problem: `the request path ${JSON.stringify(path)} has no segment after the accept path ${JSON.stringify(acceptPath)}`,
    };
  }
  try {
    return { segment: decodeURIComponent(raw) };
  } catch {
    return { problem: `the path segment ${JSON.stringify(raw)} is not valid percent-encoding` };
  }
}
