/**
 * The `file` login module: Basic credentials from `Authorization` (`Basic` or Kaazing's `Application Basic`)
 * checked against Kaazing's users file. The file is read once, when the gateway is prepared.
 *
 * Passwords are compared in constant time, and an unknown user costs the same comparison as a known one, so the
 * time taken tells neither whether the user exists nor how much of a password was right.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { LoginModuleFlag } from '../../config/types.js';
import type { Credentials, LoginModule, LoginOutcome } from './types.js';
import type { User } from './users-file.js';

/** `Basic dXNlcjpwYXNz` or `Application Basic dXNlcjpwYXNz` → user and password; undefined when not Basic. */
export function parseBasic(authorization: string | undefined): { readonly user: string; readonly password: string } | undefined {
  if (authorization === undefined) return undefined;
  const m = /^\s*(?:Application\s+)?Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Constant-time equality of two strings of any lengths (their digests are compared). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

const NOBODY = digest('');

export function fileLoginModule(users: ReadonlyMap<string, User>, success: LoginModuleFlag): LoginModule {
  return {
    type: 'file',
    success,
    login(credentials: Credentials): Promise<LoginOutcome> {
      const basic = parseBasic(credentials.authorization);
      if (basic === undefined) {
        return Promise.resolve({ ok: false, reason: credentials.authorization === undefined ? 'no Authorization header' : 'the Authorization header is not Basic credentials' });
      }
      const user = users.get(basic.user);
      const expected = user === undefined ? NOBODY : digest(user.password);
      const match = timingSafeEqual(expected, digest(basic.password)) && user !== undefined;
      if (!match) return Promise.resolve({ ok: false, reason: `unknown user or wrong password for "${printable(basic.user)}"` });
      return Promise.resolve({ ok: true, principal: { name: basic.user, roles: user.roles, module: 'file' } });
    },
  };
}

/** A user name as logs may show it: control characters escaped, at most 64 characters. */
function printable(name: string): string {
  const clipped = name.length > 64 ? `${name.slice(0, 64)}…` : name;
  return clipped.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
