import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRoles, TOKEN_NAME, tokenDirectoryLoginModule, tokenLabel } from '../../../../src/auth/realm/token-directory.js';

const TOKEN = 'abcdefghij0123456789_-';
const creds = (...values: string[]) => ({ authorization: undefined, certificate: undefined, secure: true, chain: () => undefined, judgeTicket: () => undefined, tokens: values.map((value) => ({ source: 'cookie AUTH', value })) });

function withDirectory(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-tokens-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('a token is valid while its file exists; the file lines are its roles; the log label is a digest', withDirectory(async (dir) => {
  const m = tokenDirectoryLoginModule(dir, 'required');
  const missing = await m.login(creds(TOKEN));
  assert.deepEqual(missing, { ok: false, reason: `${tokenLabel(TOKEN)} (cookie AUTH) has no file in the token directory` });
  writeFileSync(join(dir, TOKEN), 'operator\n# comment\n\n viewer \noperator\n');
  assert.deepEqual(await m.login(creds(TOKEN)), { ok: true, principal: { name: tokenLabel(TOKEN), roles: ['operator', 'viewer'], module: 'token-directory' } });
  unlinkSync(join(dir, TOKEN));
  assert.equal((await m.login(creds(TOKEN))).ok, false, 'removing the file takes effect on the next login');
  assert.doesNotMatch(tokenLabel(TOKEN), new RegExp(TOKEN));
  assert.match(tokenLabel(TOKEN), /^token:[0-9a-f]{12}$/);
}));

test('names that are short, paths, dot-files or outside [A-Za-z0-9_-] are never looked up', withDirectory(async (dir) => {
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', TOKEN), 'x');
  writeFileSync(join(dir, 'short'), 'x');
  writeFileSync(join(dir, '.hidden-token-0123456789'), 'x');
  const m = tokenDirectoryLoginModule(dir, 'required');
  for (const bad of ['short', `sub/${TOKEN}`, `../${TOKEN}`, '.hidden-token-0123456789', `${TOKEN}%2F`, `${'a'.repeat(257)}`]) {
    const r = await m.login(creds(bad));
    assert.deepEqual(r, { ok: false, reason: 'no token of 16 or more characters of A-Z a-z 0-9 _ -' }, bad);
  }
  assert.deepEqual(await m.login(creds()), { ok: false, reason: 'no token' });
  fc.assert(fc.property(fc.string(), (s) => !TOKEN_NAME.test(s) || (!s.includes('/') && !s.includes('.') && s.length >= 16)));
}));

test('a symbolic link or a directory is not a token file; a later candidate can still pass', withDirectory(async (dir) => {
  const outside = mkdtempSync(join(tmpdir(), 'gw-outside-'));
  try {
    writeFileSync(join(outside, 'secret'), 'admin');
    symlinkSync(join(outside, 'secret'), join(dir, 'linked-token-0123456789'));
    mkdirSync(join(dir, 'directory-token-0123456789'));
    writeFileSync(join(dir, TOKEN), 'viewer');
    const m = tokenDirectoryLoginModule(dir, 'required');
    const link = await m.login(creds('linked-token-0123456789'));
    assert.match(link.ok ? '' : link.reason, /is not a regular file/);
    assert.equal((await m.login(creds('directory-token-0123456789'))).ok, false);
    const second = await m.login(creds('linked-token-0123456789', TOKEN));
    assert.deepEqual(second.ok && second.principal.roles, ['viewer']);
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
}));

test('parseRoles trims, skips blanks and comments, keeps the first of duplicates', () => {
  assert.deepEqual(parseRoles('a\r\n b \n\n#c\na\n'), ['a', 'b']);
  assert.deepEqual(parseRoles(''), []);
});
