/**
 * The `token-directory` login module: a token is valid while a regular file of exactly its name exists in the
 * directory, and that file's lines are its roles. The directory is looked at on every login, so adding or removing
 * a file takes effect on the next connection, without a reload.
 *
 * Only names of 16 to 256 characters of `[A-Za-z0-9_-]` are looked up: no token can be a path (`..`, `/`), a
 * dot-file, or short enough to guess. A symbolic link is not a token file (lstat), so a link placed in the
 * directory cannot make a file elsewhere a token. The token never appears in a log line: the principal is named by
 * a digest of it.
 */
import { createHash } from 'node:crypto';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoginModuleFlag } from '../../config/types.js';
import type { Credentials, LoginModule, LoginOutcome } from './types.js';

export const TOKEN_NAME = /^[A-Za-z0-9_-]{16,256}$/;

/** `token:` and the first 12 hex digits of the token's SHA-256: enough to tell tokens apart in logs, useless to an attacker. */
export function tokenLabel(token: string): string {
  return `token:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}

/** The roles a token file lists: one per line, trimmed; blank lines and `#` comments skipped. */
export function parseRoles(text: string): string[] {
  return [...new Set(text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')))];
}

export function tokenDirectoryLoginModule(directory: string, success: LoginModuleFlag): LoginModule {
  return {
    type: 'token-directory',
    success,
    async login(credentials: Credentials): Promise<LoginOutcome> {
      const candidates = credentials.tokens.filter((t) => TOKEN_NAME.test(t.value));
      if (candidates.length === 0) {
        return { ok: false, reason: credentials.tokens.length === 0 ? 'no token' : 'no token of 16 or more characters of A-Z a-z 0-9 _ -' };
      }
      let reason = '';
      for (const token of candidates) {
        const path = join(directory, token.value);
        try {
          const stat = await lstat(path);
          if (!stat.isFile()) {
            reason = `${tokenLabel(token.value)} (${token.source}) is not a regular file in the token directory`;
            continue;
          }
          const roles = parseRoles(await readFile(path, 'utf8'));
          return { ok: true, principal: { name: tokenLabel(token.value), roles, module: 'token-directory' } };
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          reason = code === 'ENOENT' ? `${tokenLabel(token.value)} (${token.source}) has no file in the token directory` : `${tokenLabel(token.value)} (${token.source}) cannot be read: ${code ?? 'error'}`;
        }
      }
      return { ok: false, reason };
    },
  };
}
