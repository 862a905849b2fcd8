/**
 * Java stores as a Kaazing user has them: a JCEKS keystore.db with keystore.pw and a JKS truststore.db without a
 * password serve mutual TLS, the certificate chosen by SNI among the keystore's entries; `keystore list` and
 * `check` on the same files.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { WebSocket } from 'ws';
import { GatewayProcess, runGateway } from '../helpers/gateway-process.js';
import { workspace, type Workspace } from '../helpers/e2e-setup.js';
import { repoPath } from '../helpers/paths.js';
import { event } from '../helpers/deadline.js';

const STORES = repoPath('test', 'fixtures', 'stores');
const fixture = (name: string) => readFileSync(join(STORES, name));
/** keytool's own fingerprint of an alias, from the listing saved when the fixtures were made. */
function keytoolFingerprint(store: string, alias: string): string {
  const listing = readFileSync(join(STORES, `${store}.keytool.txt`), 'utf8');
  const section = listing.split('Alias name: ').find((s) => s.startsWith(`${alias}\n`)) ?? '';
  return /SHA256: ([0-9A-F:]+)/.exec(section)?.[1] ?? 'missing';
}

const SECURITY = `
  <security>
    <keystore>
      <type>JCEKS</type>
      <file>keystore.db</file>
      <password-file>keystore.pw</password-file>
    </keystore>
    <truststore>
      <file>truststore.db</file>
    </truststore>
  </security>`;

describe('JCEKS keystore and JKS truststore, as Kaazing names them', () => {
  let space: Workspace;
  let gw: GatewayProcess;

  before(async () => {
    space = workspace();
    copyFileSync(join(STORES, 'gateway.jceks'), join(space.dir, 'keystore.db'));
    copyFileSync(join(STORES, 'truststore.jks'), join(space.dir, 'truststore.db'));
    space.write('keystore.pw', 'jceks-pass\n');
    const service = (name: string, host: string) => `
  <service>
    <name>${name}</name>
    <accept>wss://${host}:0/echo</accept>
    <type>echo</type>
    <accept-options>
      <ssl.verify-client>required</ssl.verify-client>
      <wss.bind>127.0.0.1:0</wss.bind>
    </accept-options>
  </service>`;
    gw = await GatewayProcess.start(space.config(service('local', 'localhost') + service('example', 'gateway.example.com') + SECURITY));
  });

  after(async () => {
    await gw?.stop();
    space?.cleanup();
  });

  test('a truststore without a password is read with a warning that its integrity was not checked', () => {
    assert.ok(gw.lines.some((l) => l.level === 40 && /integrity/i.test(l.msg)));
  });

  test('the server certificate is chosen by SNI among the JCEKS private-key entries', async () => {
    const port = gw.port('wss://gateway.example.com:0/echo');
    assert.equal(port, gw.port('wss://localhost:0/echo'));
    for (const [servername, alias] of [['gateway.example.com', 'gateway.example.com'], ['localhost', 'localhost']] as const) {
      const socket = tlsConnect({
        host: '127.0.0.1',
        port,
        servername,
        ca: fixture('fixture-ca.crt.pem'),
        cert: fixture('device-1.crt.pem'),
        key: fixture('device-1.key.pem'),
      });
      await event(socket, 'secureConnect', `a TLS handshake asking for ${servername}`);
      const served = socket.getPeerX509Certificate() as X509Certificate;
      socket.destroy();
      assert.equal(served.fingerprint256, keytoolFingerprint('gateway.jceks', alias), servername);
    }
  });

  test('a client certificate from the JKS truststore CA gets through', async () => {
    const ws = new WebSocket(`wss://localhost:${gw.port('wss://localhost:0/echo')}/echo`, {
      ca: fixture('fixture-ca.crt.pem'),
      cert: fixture('device-1.crt.pem'),
      key: fixture('device-1.key.pem'),
    });
    await event(ws, 'open', `${ws.url} to open`);
    const reply = event<[Buffer]>(ws, 'message', 'the echo of the client message');
    ws.send('from a keytool-made client');
    assert.equal((await reply)[0].toString(), 'from a keytool-made client');
    ws.close();
  });
});

describe('keystore list and check on Java stores', () => {
  const space = workspace();
  after(() => space.cleanup());

  test('keystore list shows every entry with keytool\'s fingerprints', async () => {
    space.write('pw', 'jceks-pass\n');
    const r = await runGateway(['keystore', 'list', join(STORES, 'gateway.jceks'), '--password-file', join(space.dir, 'pw'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const listing = JSON.parse(r.stdout) as { format: string; entries: { alias: string; kind: string; fingerprintSha256?: string }[] };
    assert.equal(listing.format, 'JCEKS');
    assert.deepEqual(
      listing.entries.map((e) => [e.alias, e.kind]),
      [
        ['ec.example.com', 'PrivateKeyEntry'],
        ['fixture-ca', 'trustedCertEntry'],
        ['gateway.example.com', 'PrivateKeyEntry'],
        ['localhost', 'PrivateKeyEntry'],
        ['session', 'SecretKeyEntry'],
      ],
    );
    const localhost = listing.entries.find((e) => e.alias === 'localhost');
    assert.equal(localhost?.fingerprintSha256, keytoolFingerprint('gateway.jceks', 'localhost'));
  });

  test('keystore list speaks in its own terms: a missing file is a store, a wrong type names the --type to use', async () => {
    const missing = await runGateway(['keystore', 'list', join(space.dir, 'nope.db')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /GW_ERR_FILE_READ: cannot read store ".*nope\.db": no such file/);
    const mistyped = await runGateway(['keystore', 'list', join(STORES, 'gateway.jceks'), '--type', 'JKS']);
    assert.equal(mistyped.code, 1);
    assert.match(mistyped.stderr, /you may need to specify --type JCEKS/);
  });

  test('keystore list --type takes the names <type> takes, in any case; an unknown one is refused listing them', async () => {
    for (const type of ['PFX', 'Pkcs12', 'PKCS#12']) {
      const r = await runGateway(['keystore', 'list', join(STORES, 'keystore-openssl.p12'), '--type', type, '--password-env', 'STORE_PW'], { STORE_PW: 'changeit' });
      assert.equal(r.code, 0, `${type}: ${r.stderr}`);
      assert.match(r.stdout, /Keystore type: PKCS12/);
    }
    const unknown = await runGateway(['keystore', 'list', join(STORES, 'keystore-openssl.p12'), '--type', 'BKS']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /GW_ERR_USAGE: .*'BKS' is invalid\. Allowed values are JKS, JCEKS, PKCS12, PEM \(any case; PKCS#12, P12 and PFX/);
  });

  test('a wrong password is reported as exactly that, naming the file, with exit 1', async () => {
    const r = await runGateway(['keystore', 'list', join(STORES, 'gateway.jceks'), '--password-env', 'STORE_PW'], { STORE_PW: 'wrong' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /GW_ERR_STORE_PASSWORD: .*gateway\.jceks/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  test('check lists a truststore read without its integrity check as a warning at its element', async () => {
    copyFileSync(join(STORES, 'gateway.jceks'), join(space.dir, 'keystore.db'));
    copyFileSync(join(STORES, 'truststore.jks'), join(space.dir, 'truststore.db'));
    space.write('keystore.pw', 'jceks-pass\n');
    const file = space.config(`
  <service>
    <name>echo</name>
    <accept>wss://localhost:0/echo</accept>
    <type>echo</type>
    <accept-options><ssl.verify-client>required</ssl.verify-client></accept-options>
  </service>${SECURITY}`, 'no-trust-password.xml');
    const r = await runGateway(['check', '--config', file]);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /no-trust-password\.xml:\d+:\d+: warning GW_ERR_STORE_WARNING: .*integrity/);
  });

  test('check reports a keystore password that does not open the store at the <keystore> element', async () => {
    copyFileSync(join(STORES, 'gateway.jceks'), join(space.dir, 'keystore.db'));
    copyFileSync(join(STORES, 'truststore.jks'), join(space.dir, 'truststore.db'));
    space.write('keystore.pw', 'not-the-password\n');
    const file = space.config(`
  <service>
    <name>echo</name>
    <accept>wss://localhost:0/echo</accept>
    <type>echo</type>
  </service>${SECURITY}`, 'wrong-password.xml');
    const r = await runGateway(['check', '--config', file]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /wrong-password\.xml:\d+:\d+: error GW_ERR_STORE_PASSWORD: .*keystore\.db/);
  });

  test('check names the type a mislabelled store really is', async () => {
    // JKS declared PKCS12 is read (as Java 9 and later read it); JCEKS is read under no other name.
    copyFileSync(join(STORES, 'gateway.jceks'), join(space.dir, 'mislabelled.p12'));
    space.write('changeit.pw', 'changeit\n');
    const file = space.config(`
  <service>
    <name>echo</name>
    <accept>wss://localhost:0/echo</accept>
    <type>echo</type>
  </service>
  <security>
    <keystore><type>PKCS12</type><file>mislabelled.p12</file><password-file>changeit.pw</password-file></keystore>
  </security>`, 'mislabelled.xml');
    const r = await runGateway(['check', '--config', file]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /GW_ERR_STORE_FORMAT: .*<type>JCEKS<\/type>/);
  });
});

/**
 * Kaazing's docs make the truststore with `keytool -importcert -keystore truststore.db` and show no password
 * file; keytool on Java 9 and later then writes PKCS12 (truststore-jdk.p12 is such a file, password changeit).
 */
describe('the Kaazing truststore flow with a keytool-made PKCS12 truststore', () => {
  const space = workspace();
  after(() => space.cleanup());
  const config = (truststore: string, name: string) =>
    space.config(`
  <service>
    <name>echo</name>
    <accept>wss://localhost:0/echo</accept>
    <type>echo</type>
    <accept-options><ssl.verify-client>required</ssl.verify-client></accept-options>
  </service>
  <security>
    <keystore><type>JCEKS</type><file>keystore.db</file><password-file>keystore.pw</password-file></keystore>
    <truststore>${truststore}</truststore>
  </security>`, name);

  before(() => {
    copyFileSync(join(STORES, 'gateway.jceks'), join(space.dir, 'keystore.db'));
    copyFileSync(join(STORES, 'truststore-jdk.p12'), join(space.dir, 'truststore.db'));
    space.write('keystore.pw', 'jceks-pass\n');
    space.write('truststore.pw', 'changeit\n');
  });

  test('without <password-file>, check says which element to add and the password Kaazing\'s truststore had', async () => {
    const r = await runGateway(['check', '--config', config('<file>truststore.db</file>', 'no-password.xml')]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /no-password\.xml:12:5: error GW_ERR_STORE_PASSWORD: store ".*truststore\.db": .*cannot be read without its password; client certificates are checked once it can be read \(add <password-file> to <truststore>, .*Kaazing's own truststore\.db and Java's cacerts use changeit/);
  });

  test('declared JKS as Kaazing\'s docs have it, a PKCS12 file is read as Java 9 and later read it: only its password is missing', async () => {
    const r = await runGateway(['check', '--config', config('<type>JKS</type><file>truststore.db</file>', 'jks-declared.xml')]);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stdout, /GW_ERR_STORE_FORMAT/);
    assert.match(r.stdout, /error GW_ERR_STORE_PASSWORD: .*\(add <password-file> to <truststore>.*changeit/);
    const withPassword = await runGateway(['check', '--config', config('<type>JKS</type><file>truststore.db</file><password-file>truststore.pw</password-file>', 'jks-declared-password.xml')]);
    assert.equal(withPassword.code, 0, withPassword.stdout);
  });

  test('with <password-file> holding changeit, the same file is valid', async () => {
    const r = await runGateway(['check', '--config', config('<file>truststore.db</file><password-file>truststore.pw</password-file>', 'with-password.xml')]);
    assert.equal(r.code, 0, r.stdout);
  });

  test('keystore list without a password says how to give one', async () => {
    const r = await runGateway(['keystore', 'list', join(space.dir, 'truststore.db')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /GW_ERR_STORE_PASSWORD: .*\(give --password-file FILE or --password-env VAR; Kaazing's own truststore\.db and Java's cacerts use changeit\)/);
    const listed = await runGateway(['keystore', 'list', join(space.dir, 'truststore.db'), '--password-file', join(space.dir, 'truststore.pw')]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /Entry type: trustedCertEntry/);
  });
});
