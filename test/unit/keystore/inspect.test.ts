import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStore, formatStoreListing } from '../../../src/keystore/inspect.js';
import { readStore } from '../../../src/keystore/index.js';
import { keytoolEntries, storeBytes } from '../../helpers/keytool.js';

const read = (name: string, password?: string) => readStore(storeBytes(name), { fileName: name, password });

test('entries are described as keytool -list -v shows them: alias, kind, owner, issuer, serial, SHA-256', () => {
  for (const [name, pw] of [['keystore.jks', 'changeit'], ['keystore-jdk.p12', 'changeit'], ['truststore.jks', 'changeit']] as const) {
    const described = describeStore(read(name, pw));
    const entries = keytoolEntries(name);
    assert.deepEqual(described.map((d) => [d.alias, d.kind]), entries.map((e) => [e.alias, e.type]), name);
    described.forEach((d, i) => {
      const kt = entries[i]!;
      assert.deepEqual(d.chain.map((c) => [c.subject, c.issuer, c.serialNumber, c.fingerprintSha256]),
        kt.certs.map((c) => [c.owner, c.issuer, c.serial, c.sha256]), `${name} ${d.alias}`);
      assert.equal(d.subject, kt.certs[0]!.owner);
    });
  }
});

test('without a password a JKS/JCEKS listing still shows every entry and its chain, as keytool does', () => {
  const described = describeStore(read('keystore.jks'));
  const entries = keytoolEntries('keystore.jks');
  assert.deepEqual(described.map((d) => [d.alias, d.kind]), entries.map((e) => [e.alias, e.type]));
  described.forEach((d, i) => {
    assert.deepEqual(d.chain.map((c) => c.fingerprintSha256), entries[i]!.certs.map((c) => c.sha256), d.alias);
  });
});

test('SANs, key algorithm and size, and validity of the leaf are on the entry', () => {
  const d = describeStore(read('keystore.jks', 'changeit'));
  const localhost = d.find((e) => e.alias === 'localhost')!;
  assert.deepEqual(localhost.subjectAltNames, ['DNS:localhost', 'IP:127.0.0.1', 'IP:0:0:0:0:0:0:0:1']);
  assert.equal(localhost.keyAlgorithm, 'RSA');
  assert.equal(localhost.keySize, 2048);
  assert.ok(localhost.validFrom! < localhost.validTo!);
  const ec = d.find((e) => e.alias === 'ec.example.com')!;
  assert.equal(ec.keyAlgorithm, 'EC');
  assert.equal(ec.keySize, 256);
  assert.equal(ec.curve, 'secp256r1');
});

test('a secret key is listed with its kind only', () => {
  const d = describeStore(readStore(storeBytes('gateway.jceks'), { fileName: 'gateway.jceks' }));
  assert.deepEqual(d.find((e) => e.alias === 'session'), { alias: 'session', kind: 'SecretKeyEntry', chain: [], secretAlgorithm: undefined });
});

test('the listing prints every entry in keytool\'s layout, and the warnings', () => {
  const contents = readStore(storeBytes('gateway.jceks'), { fileName: 'conf/keystore.db' });
  const text = formatStoreListing('conf/keystore.db', contents);
  assert.match(text, /^Keystore file: conf\/keystore.db\nKeystore type: JCEKS\n\nYour keystore contains 5 entries\n/);
  assert.match(text, /Alias name: localhost\nEntry type: PrivateKeyEntry\nCertificate chain length: 2\n/);
  assert.match(text, /Alias name: fixture-ca\nEntry type: trustedCertEntry\nOwner: CN=Fixture Test CA, OU=Fixtures, O=Acme\n/);
  assert.match(text, /Alias name: session\nEntry type: SecretKeyEntry\n/);
  assert.match(text, /\t SHA256: [0-9A-F]{2}(:[0-9A-F]{2}){31}\n/);
  assert.match(text, /Warning: .*without its integrity check/);
  const keys = formatStoreListing('k.jks', read('keystore.jks', 'changeit'));
  assert.match(keys, /Alias name: localhost\nEntry type: PrivateKeyEntry\nCertificate chain length: 2\nCertificate\[1\]:\nOwner: CN=localhost, O=Acme\n/);
  assert.match(keys, /Subject alternative names: DNS:localhost, IP:127.0.0.1, IP:0:0:0:0:0:0:0:1\n/);
  assert.match(keys, /Subject Public Key Algorithm: 256-bit EC \(secp256r1\) key\n/);
});
