import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readPem } from '../../../src/keystore/pem.js';
import { GatewayError } from '../../../src/errors.js';
import { keytoolCerts, storeBytes } from '../../helpers/keytool.js';

test('key + chain PEM files (PKCS#1, SEC1, encrypted PKCS#8) give one key entry with the chain keytool sees', () => {
  for (const [name, password, listing] of [['localhost.pem', undefined, 'localhost.crt.pem'],
    ['ec.example.com.pem', undefined, 'ec.example.com.crt.pem'], ['localhost-encrypted.pem', 'pem-pass', 'localhost.crt.pem']] as const) {
    const s = readPem(storeBytes(name), password, name);
    assert.equal(s.format, 'PEM');
    assert.equal(s.keys.length, 1, name);
    const k = s.keys[0]!;
    assert.equal(k.alias, 'key-1');
    assert.deepEqual(k.chain.map((c) => c.fingerprint256), keytoolCerts(listing).map((c) => c.sha256), name);
    assert.ok(k.chain[0]!.checkPrivateKey(k.privateKey));
    assert.deepEqual(s.trusted, []);
  }
});

test('each key encoding alone reads the same key', () => {
  const pem = readPem(storeBytes('localhost.crt.pem'), undefined, 'c.pem');
  assert.equal(pem.trusted.length, 2);
  const leaf = pem.trusted[0]!.certificate;
  for (const [name, pw] of [['localhost.pkcs1.key.pem', undefined], ['localhost.pkcs8.key.pem', undefined],
    ['localhost.encrypted.key.pem', 'pem-pass'], ['localhost.pkcs1-encrypted.key.pem', 'pem-pass']] as const) {
    const both = Buffer.concat([storeBytes(name), storeBytes('localhost.crt.pem')]);
    const s = readPem(both, pw, name);
    assert.equal(s.keys[0]!.chain[0]!.fingerprint256, leaf.fingerprint256, name);
  }
  const sec1 = Buffer.concat([storeBytes('ec.example.com.sec1.key.pem'), storeBytes('ec.example.com.crt.pem')]);
  assert.equal(readPem(sec1, undefined, 'ec').keys[0]!.privateKey.asymmetricKeyType, 'ec');
});

test('a certificate bundle is a truststore, in file order', () => {
  const s = readPem(storeBytes('ca-bundle.pem'), undefined, 'ca-bundle.pem');
  assert.deepEqual(s.trusted.map((t) => [t.alias, t.certificate.fingerprint256]),
    keytoolCerts('ca-bundle.pem').map((c, i) => [`cert-${i + 1}`, c.sha256]));
});

test('PEM errors: encrypted key without or with a wrong password, key without certificate, nothing usable', () => {
  const enc = storeBytes('localhost-encrypted.pem');
  assert.throws(() => readPem(enc, undefined, 'e.pem'), (e: GatewayError) => e.code === 'GW_ERR_STORE_PEM' && /no password/.test(e.message));
  assert.throws(() => readPem(enc, 'wrong', 'e.pem'), (e: GatewayError) => e.code === 'GW_ERR_STORE_PEM' && /does not decrypt/.test(e.message));
  const trad = Buffer.concat([storeBytes('localhost.pkcs1-encrypted.key.pem'), storeBytes('localhost.crt.pem')]);
  assert.throws(() => readPem(trad, 'wrong', 't.pem'), { code: 'GW_ERR_STORE_PEM' });
  assert.throws(() => readPem(storeBytes('localhost.pkcs8.key.pem'), undefined, 'k.pem'), (e: GatewayError) =>
    e.code === 'GW_ERR_STORE_PEM' && /no matching certificate/.test(e.message) && e.message.includes('k.pem'));
  assert.throws(() => readPem(Buffer.from('hello'), undefined, 'x.pem'), { code: 'GW_ERR_STORE_PEM' });
  const badCert = Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  assert.throws(() => readPem(badCert, undefined, 'x.pem'), { code: 'GW_ERR_STORE_PEM' });
  const other = Buffer.from('-----BEGIN PGP MESSAGE-----\nAAAA\n-----END PGP MESSAGE-----\n');
  assert.throws(() => readPem(other, undefined, 'x.pem'), { code: 'GW_ERR_STORE_UNSUPPORTED' });
});

test('blocks that carry nothing for a store are skipped with a warning', () => {
  const params = Buffer.from('-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n');
  const s = readPem(Buffer.concat([params, storeBytes('ca-bundle.pem')]), undefined, 'x.pem');
  assert.equal(s.trusted.length, 2);
  assert.match(s.warnings[0]!, /EC PARAMETERS/);
});

test('a truncated PEM file is reported as damaged, naming the line of the block that has no END', () => {
  const bundle = storeBytes('ca-bundle.pem').toString('latin1');
  const lines = bundle.split('\n');
  const secondBegin = lines.indexOf('-----BEGIN CERTIFICATE-----', 1) + 1;
  assert.ok(secondBegin > 1);
  // Cut short in the second certificate: before, the first was listed and the second silently dropped.
  const cut = Buffer.from(bundle.slice(0, bundle.lastIndexOf('-----END')), 'latin1');
  assert.throws(() => readPem(cut, undefined, 'conf/ca.pem'), (e: GatewayError) =>
    e.code === 'GW_ERR_STORE_CORRUPT' && e.message.includes('conf/ca.pem') && e.message.includes(`at line ${secondBegin} has no`));
  // The first certificate's END line missing: its block would otherwise run into the second's.
  const joined = Buffer.from(bundle.replace('-----END CERTIFICATE-----\n', ''), 'latin1');
  assert.throws(() => readPem(joined, undefined, 'ca.pem'), (e: GatewayError) =>
    e.code === 'GW_ERR_STORE_CORRUPT' && /at line 1 has no "-----END CERTIFICATE-----" line before the next BEGIN line/.test(e.message));
});

test('a file of BEGIN lines without END lines is refused at the first one, however many follow', () => {
  // 450 KB of BEGIN lines took the old pattern seconds: each line was scanned to the end of the file.
  const text = Buffer.from('-----BEGIN CERTIFICATE-----\n'.repeat(16_000));
  assert.throws(() => readPem(text, undefined, 'x.pem'), (e: GatewayError) =>
    e.code === 'GW_ERR_STORE_CORRUPT' && /at line 1 has no/.test(e.message));
  // Text that only looks like a boundary is still not a block.
  const lower = Buffer.concat([Buffer.from('-----BEGIN certificate-----\n'), storeBytes('ca-bundle.pem')]);
  assert.equal(readPem(lower, undefined, 'x.pem').trusted.length, 2);
});
