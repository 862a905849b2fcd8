import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileLoginModule, parseBasic, sameSecret } from '../../../../src/auth/realm/file.js';
import { loadUsersFile, parseUsersFile, USERS_NAMESPACE } from '../../../../src/auth/realm/users-file.js';
import { GatewayError } from '../../../../src/errors.js';

const USERS = `<?xml version="1.0" encoding="UTF-8" ?>
<jaas-config xmlns="${USERS_NAMESPACE}">
  <user>
    <name>joe</name>
    <password>welcome</password>
    <role-name>AUTHORIZED</role-name>
  </user>
  <user>
    <name>admin</name>
    <password>s3cret: with colon</password>
    <role-name>ADMINISTRATOR</role-name>
    <role-name>AUTHORIZED</role-name>
  </user>
  <role>
    <name>ADMINISTRATOR</name>
    <description>Administrative users</description>
  </role>
</jaas-config>`;

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const creds = (authorization: string | undefined) => ({ authorization, tokens: [], certificate: undefined, secure: true, chain: () => undefined, judgeTicket: () => undefined });

test("Kaazing's users file is read: users with passwords and roles", () => {
  const users = parseUsersFile(USERS, 'jaas-config.xml');
  assert.deepEqual([...users.values()], [
    { name: 'joe', password: 'welcome', roles: ['AUTHORIZED'] },
    { name: 'admin', password: 's3cret: with colon', roles: ['ADMINISTRATOR', 'AUTHORIZED'] },
  ]);
});

test('a bad users file names every problem at its line:col, never a password', () => {
  const bad = `<jaas-config xmlns="${USERS_NAMESPACE}">\n  <user><name>joe</name><password>hunter2</password></user>\n  <user><name>joe</name><password>x</password></user>\n  <user><password>p</password></user>\n  <group/>\n</jaas-config>`;
  assert.throws(
    () => parseUsersFile(bad, '/etc/gw/jaas-config.xml'),
    (e: unknown) => {
      assert.ok(e instanceof GatewayError);
      assert.equal(e.code, 'GW_ERR_REALM_FILE');
      assert.match(e.message, /jaas-config\.xml:3:3: User "joe" is defined twice/);
      assert.match(e.message, /jaas-config\.xml:4:3: Missing required element: <name> in <user>/);
      assert.match(e.message, /jaas-config\.xml:5:3: Unknown element <group>/);
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    },
  );
  assert.throws(() => parseUsersFile('<jaas-config/>', 'u.xml'), /must hold <jaas-config xmlns="http:\/\/xmlns.kaazing.com\/jaas-config\/centurion">/);
  assert.throws(() => parseUsersFile('<jaas-config', 'u.xml'), /GW_ERR|Not well-formed|not valid/);
  assert.throws(() => loadUsersFile('/nonexistent/jaas-config.xml'), (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_REALM_FILE' && /Cannot read the users file/.test(e.message));
});

test('Basic and Application Basic credentials are parsed; anything else is not Basic', () => {
  assert.deepEqual(parseBasic(basic('joe', 'a:b')), { user: 'joe', password: 'a:b' });
  assert.deepEqual(parseBasic(`Application ${basic('joe', 'w')}`), { user: 'joe', password: 'w' });
  assert.deepEqual(parseBasic(`basic ${Buffer.from('joe:').toString('base64')}`), { user: 'joe', password: '' });
  for (const other of [undefined, 'Bearer abc', 'Basic', `Basic ${Buffer.from('nocolon').toString('base64')}`, 'Basic !!!']) assert.equal(parseBasic(other), undefined, String(other));
});

test('the file module admits a known user with the right password, with its roles; says why otherwise, never the password', async () => {
  const m = fileLoginModule(parseUsersFile(USERS, 'u.xml'), 'required');
  assert.deepEqual(await m.login(creds(basic('admin', 's3cret: with colon'))), { ok: true, principal: { name: 'admin', roles: ['ADMINISTRATOR', 'AUTHORIZED'], module: 'file' } });
  assert.deepEqual(await m.login(creds(basic('joe', 'welcomE'))), { ok: false, reason: 'unknown user or wrong password for "joe"' });
  assert.deepEqual(await m.login(creds(basic('nobody', 'welcome'))), { ok: false, reason: 'unknown user or wrong password for "nobody"' });
  assert.deepEqual(await m.login(creds(basic('bad\nname', 'x'))), { ok: false, reason: 'unknown user or wrong password for "bad\\x0aname"' });
  assert.deepEqual(await m.login(creds(undefined)), { ok: false, reason: 'no Authorization header' });
  assert.deepEqual(await m.login(creds('Bearer x')), { ok: false, reason: 'the Authorization header is not Basic credentials' });
});

test('sameSecret compares any lengths', () => {
  assert.equal(sameSecret('abc', 'abc'), true);
  assert.equal(sameSecret('abc', 'abcd'), false);
  assert.equal(sameSecret('', ''), true);
});

test('loadUsersFile reads a file from disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-users-'));
  try {
    writeFileSync(join(dir, 'jaas-config.xml'), USERS);
    assert.equal(loadUsersFile(join(dir, 'jaas-config.xml')).size, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
