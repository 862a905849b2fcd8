import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { config, doc, parse, proxy, where } from '../../helpers/config.js';
import { repoPath } from '../../helpers/paths.js';

/** A service on line 2..8 naming `realm`, then `<security>` from line 9 holding `realmLines`. */
function withRealm(realmLines: string[], service: string[] = ['    <realm-name>demo</realm-name>']): string {
  // On localhost: credentials to a plain accept elsewhere are warned about, which these tests are not about.
  return doc(...proxy('p', 'ws://localhost/', 'tcp://backend:5000', service), '  <security>', ...realmLines, '  </security>');
}

function module(type: string, success: string, options: string): string {
  return `        <login-module><type>${type}</type><success>${success}</success>${options}</login-module>`;
}

test('a realm with every authentication element and the three login modules is read, paths resolved against the config directory', () => {
  const c = config(
    parse(
      withRealm(
        [
          '    <realm>',
          '      <name>demo</name>',
          '      <description>Demo realm</description>',
          '      <authentication>',
          '        <http-challenge-scheme>Application   Token</http-challenge-scheme>',
          '        <http-header>X-Token</http-header>',
          '        <http-query-parameter>token</http-query-parameter>',
          '        <http-cookie>AUTH</http-cookie>',
          '        <http-cookie>TICKET</http-cookie>',
          '        <authorization-mode>challenge</authorization-mode>',
          '        <authorization-timeout>30 minutes</authorization-timeout>',
          '        <login-modules>',
          module('file', 'sufficient', '<options><file>jaas-config.xml</file><debug>true</debug></options>'),
          module('certificate-ticket', 'requisite', '<options><max-age>2h</max-age><secret-file>/etc/gw/ticket.secret</secret-file></options>'),
          module('token-directory', 'optional', '<options><directory>tokens</directory></options>'),
          '        </login-modules>',
          '      </authentication>',
          '    </realm>',
        ],
        ['    <realm-name>demo</realm-name>', '    <authorization-constraint><require-role>A</require-role><require-valid-user/></authorization-constraint>', '    <authorization-constraint><require-role>B</require-role><require-role>A</require-role></authorization-constraint>'],
      ),
    ),
  );
  const [realm] = c.security.realms;
  assert.ok(realm);
  assert.equal(realm.name, 'demo');
  assert.equal(realm.description, 'Demo realm');
  assert.equal(realm.challengeScheme, 'Application Token');
  assert.deepEqual([realm.httpHeaders, realm.httpQueryParameters, realm.httpCookies], [['X-Token'], ['token'], ['AUTH', 'TICKET']]);
  assert.equal(realm.authorizationTimeoutMs, 30 * 60_000);
  assert.deepEqual(
    realm.loginModules.map(({ position: _p, ...m }) => m),
    [
      { type: 'file', success: 'sufficient', file: resolve('conf/jaas-config.xml') },
      { type: 'certificate-ticket', success: 'requisite', secretFile: '/etc/gw/ticket.secret', maxAgeS: 7200 },
      { type: 'token-directory', success: 'optional', directory: resolve('conf/tokens') },
    ],
  );
  const service = c.services[0];
  assert.equal(service?.realmName, 'demo');
  assert.deepEqual(service?.authorization, { requireRoles: ['A', 'B'], requireValidUser: true, position: { file: 'conf/gateway-config.xml', line: 8, column: 5 } });
});

test('defaults: Basic where a module reads passwords, else Application Token; no token sources, no timeout, a ticket max-age of one hour', () => {
  const c = config(parse(withRealm(['    <realm><name>demo</name><authentication><http-cookie>T</http-cookie><login-modules>', module('certificate-ticket', 'required', '<options><secret-file>s</secret-file></options>'), '    </login-modules></authentication></realm>'])));
  const realm = c.security.realms[0];
  // A browser would answer Basic with a password prompt that no certificate-ticket module can take.
  assert.equal(realm?.challengeScheme, 'Application Token');
  const withFile = config(parse(withRealm(['    <realm><name>demo</name><authentication><http-cookie>T</http-cookie><login-modules>', module('file', 'sufficient', '<options><file>jaas-config.xml</file></options>'), module('certificate-ticket', 'required', '<options><secret-file>s</secret-file></options>'), '    </login-modules></authentication></realm>'])));
  assert.equal(withFile.security.realms[0]?.challengeScheme, 'Basic');
  assert.deepEqual([realm?.httpHeaders, realm?.httpQueryParameters, realm?.authorizationTimeoutMs], [[], [], undefined]);
  assert.equal(realm?.loginModules[0]?.type === 'certificate-ticket' && realm.loginModules[0].maxAgeS, 3600);
  assert.equal(c.services[0]?.authorization, undefined, 'a realm-name without a constraint asks only for a valid user');
});

test('every bad value is reported at its line:col', () => {
  const r = parse(
    withRealm([
      '    <realm>',
      '      <name>demo</name>',
      '      <authentication>',
      '        <http-challenge-scheme>Digest</http-challenge-scheme>',
      '        <http-cookie>a cookie</http-cookie>',
      '        <authorization-mode>recycle</authorization-mode>',
      '        <authorization-timeout>soon</authorization-timeout>',
      '        <session-timeout>4 hours</session-timeout>',
      '        <login-modules>',
      module('file', 'mandatory', '<options><file>u.xml</file></options>'),
      module('ldap', 'required', '<options><userProvider>ldap://x</userProvider></options>'),
      module('class:com.acme.Login', 'required', ''),
      module('tokn-directory', 'required', ''),
      module('file', 'required', '<options><users>u.xml</users></options>'),
      module('certificate-ticket', 'required', '<options><secret-file>s</secret-file><max-age>0</max-age></options>'),
      module('token-directory', 'required', '<options><directory></directory></options>'),
      '        </login-modules>',
      '      </authentication>',
      '    </realm>',
    ]),
  );
  assert.deepEqual(where(r), [
    'error GW_ERR_CONFIG_VALUE 13:9',
    'error GW_ERR_CONFIG_VALUE 14:9',
    'error GW_ERR_CONFIG_UNSUPPORTED 15:9',
    'error GW_ERR_CONFIG_VALUE 16:9',
    'error GW_ERR_CONFIG_UNSUPPORTED 17:9',
    'error GW_ERR_CONFIG_VALUE 19:40',
    'error GW_ERR_CONFIG_UNSUPPORTED 20:23',
    'error GW_ERR_CONFIG_UNSUPPORTED 21:23',
    'error GW_ERR_CONFIG_VALUE 22:23',
    'error GW_ERR_CONFIG_MISSING 23:67',
    'error GW_ERR_CONFIG_UNKNOWN_ELEMENT 23:76',
    'error GW_ERR_CONFIG_VALUE 24:118',
    'error GW_ERR_CONFIG_MISSING 25:87',
  ]);
  const messages = r.diagnostics.map((d) => d.message);
  assert.match(messages[0] ?? '', /Invalid <http-challenge-scheme> "Digest": allowed values are Basic, Application Basic, Application Token/);
  assert.match(messages[5] ?? '', /Invalid <success> "mandatory"/);
  assert.equal(messages[6], "login-module type 'ldap' is not supported by this gateway");
  assert.equal(messages[8], 'Unrecognized login module type: tokn-directory');
  assert.equal(r.diagnostics[8]?.hint, "did you mean 'token-directory'?");
  assert.match(messages[9] ?? '', /Missing required option <file> of the file login module/);
  assert.equal(messages[10], 'Unknown option <users> of the file login module');
  assert.equal(r.diagnostics[10]?.hint, 'its options: file, debug');
});

test('a certificate-ticket module needs a cookie to carry its tickets', () => {
  const r = parse(withRealm(['    <realm><name>demo</name><authentication><login-modules>', module('certificate-ticket', 'required', '<options><secret-file>s</secret-file></options>'), '    </login-modules></authentication></realm>']));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_MISSING 11:9']);
  assert.match(r.diagnostics[0]?.message ?? '', /needs an <http-cookie>/);
});

test('Negotiate schemes are refused by name; a scheme in the wrong case is named with its spelling', () => {
  for (const [scheme, code] of [
    ['Negotiate', 'GW_ERR_CONFIG_UNSUPPORTED'],
    ['Application Negotiate', 'GW_ERR_CONFIG_UNSUPPORTED'],
    ['application basic', 'GW_ERR_CONFIG_VALUE'],
  ] as const) {
    const r = parse(withRealm([`    <realm><name>demo</name><authentication><http-challenge-scheme>${scheme}</http-challenge-scheme><login-modules>`, module('file', 'required', '<options><file>u</file></options>'), '    </login-modules></authentication></realm>']));
    assert.deepEqual(where(r), [`error ${code} 10:45`], scheme);
  }
  const r = parse(withRealm(['    <realm><name>demo</name><authentication><http-challenge-scheme>application basic</http-challenge-scheme></authentication></realm>']));
  assert.equal(r.diagnostics[0]?.hint, 'write it as Application Basic');
});

test('realm names are unique; a realm-name must name a realm; a realm named by a service must have a login module', () => {
  const twice = parse(withRealm(['    <realm><name>demo</name><authentication><login-modules>', module('file', 'required', '<options><file>u</file></options>'), '    </login-modules></authentication></realm>', '    <realm><name>demo</name></realm>']));
  assert.deepEqual(where(twice), ['error GW_ERR_CONFIG_DUPLICATE 13:5']);
  const missing = parse(withRealm(['    <realm><name>other</name></realm>']));
  assert.deepEqual(where(missing), ['error GW_ERR_CONFIG_VALUE 7:5', 'warning GW_ERR_CONFIG_WARNING 10:5']);
  assert.equal(missing.diagnostics[0]?.hint, 'realms: other');
  const empty = parse(withRealm(['    <realm><name>demo</name><authentication/></realm>']));
  assert.deepEqual(where(empty), ['error GW_ERR_CONFIG_MISSING 10:5']);
  assert.match(empty.diagnostics[0]?.message ?? '', /Realm "demo" \(named at line 7:5\) has no <login-module>: no client could ever pass it/);
});

test('authorization-constraint: needs a realm-name, and a role or require-valid-user; a realm-name means nothing on a tcp:// accept', () => {
  const realm = ['    <realm><name>demo</name><authentication><login-modules>', module('file', 'required', '<options><file>u</file></options>'), '    </login-modules></authentication></realm>'];
  const orphan = parse(withRealm(realm, ['    <authorization-constraint><require-role>A</require-role></authorization-constraint>']));
  assert.deepEqual(where(orphan), ['error GW_ERR_CONFIG_MISSING 7:5', 'warning GW_ERR_CONFIG_WARNING 10:5']);
  const empty = parse(withRealm(realm, ['    <realm-name>demo</realm-name>', '    <authorization-constraint><require-role> </require-role></authorization-constraint>', '    <authorization-constraint/>']));
  assert.deepEqual(where(empty), ['error GW_ERR_CONFIG_MISSING 8:31', 'error GW_ERR_CONFIG_MISSING 9:5']);
  const stream = parse(doc(...proxy('p', 'tcp://h:9000', 'tcp://backend:5000', ['    <realm-name>demo</realm-name>']), '  <security>', ...realm, '  </security>'));
  assert.deepEqual(where(stream), ['error GW_ERR_CONFIG_VALUE 7:5'], 'at the <realm-name>');
  assert.match(stream.diagnostics[0]?.message ?? '', /a byte stream carries no credentials/);
});

test('the Kaazing kg4462 file with a realm-name for its authorization-constraint loads, with its file login module', () => {
  const corpus = repoPath('test', 'fixtures', 'kaazing-configs', 'kaazing-gateway__server-test-parse__gateway-config-kg4462.xml');
  const text = readFileSync(corpus, 'utf8').replace('<authorization-constraint>', '<realm-name>demo</realm-name><authorization-constraint>');
  const c = config(parse(text));
  const realm = c.security.realms[0];
  assert.equal(realm?.challengeScheme, 'Application Basic');
  assert.equal(realm?.description, 'Kaazing WebSocket Gateway Demo');
  assert.deepEqual(realm?.loginModules.map((m) => [m.type, m.success, m.type === 'file' ? m.file : '']), [['file', 'required', resolve('conf/jaas-config.xml')]]);
  assert.deepEqual(c.services.find((s) => s.name === 'echo')?.authorization?.requireRoles, ['AUTHORIZED']);
});

test('a realm on a plain accept off this machine is warned about: its credentials cross the network in the clear', () => {
  const realm = ['    <realm><name>demo</name><authentication><login-modules>', module('file', 'required', '<options><file>jaas-config.xml</file></options>'), '    </login-modules></authentication></realm>'];
  const at = (accept: string) => parse(doc(...proxy('p', accept, 'tcp://backend:5000', ['    <realm-name>demo</realm-name>']), '  <security>', ...realm, '  </security>'));
  const plain = at('ws://gw.example.com/');
  assert.deepEqual(where(plain), ['warning GW_ERR_CONFIG_WARNING 4:5']);
  assert.match(plain.diagnostics[0]?.message ?? '', /^<realm-name> demo in service "p": the passwords and tokens its clients send to ws:\/\/gw.example.com\/ cross the network in the clear \(it is not TLS\)$/);
  for (const quiet of ['ws://localhost/', 'ws://127.0.0.1/', 'ws://[::1]/']) assert.deepEqual(where(at(quiet)), [], quiet);
});
