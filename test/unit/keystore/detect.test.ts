import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectFormat, normaliseType, sniffFormat } from '../../../src/keystore/detect.js';
import { GatewayError } from '../../../src/errors.js';
import { storeBytes } from '../../helpers/keytool.js';

test('magic bytes identify every fixture, whatever the file is called', () => {
  const cases: [string, string][] = [['gateway.jceks', 'JCEKS'], ['keystore.jks', 'JKS'], ['keystore-jdk.p12', 'PKCS12'],
    ['keystore-legacy.p12', 'PKCS12'], ['truststore-openssl.p12', 'PKCS12'], ['ca-bundle.pem', 'PEM'], ['localhost.pkcs8.key.pem', 'PEM']];
  for (const [name, format] of cases) {
    assert.equal(sniffFormat(storeBytes(name)), format, name);
    assert.equal(detectFormat(storeBytes(name), 'keystore.db'), format, name);
  }
});

test('the declared type is any case, and must match the content', () => {
  assert.equal(detectFormat(storeBytes('gateway.jceks'), 'keystore.db', 'jceks'), 'JCEKS');
  assert.equal(detectFormat(storeBytes('keystore-jdk.p12'), 'x', 'pkcs#12'), 'PKCS12');
  assert.throws(() => detectFormat(storeBytes('gateway.jceks'), 'conf/keystore.db', 'JKS'), (e: GatewayError) =>
    e.code === 'GW_ERR_STORE_FORMAT' && e.message.includes('conf/keystore.db') && e.message.includes('JCEKS') &&
    e.hint === 'you may need to specify <type>JCEKS</type>');
  assert.throws(() => detectFormat(storeBytes('keystore-jdk.p12'), 'k.jceks', 'JCEKS'), (e: GatewayError) =>
    e.hint === 'you may need to specify <type>PKCS12</type>');
  assert.throws(() => detectFormat(storeBytes('keystore.jks'), 'k.pem', 'PEM'), (e: GatewayError) => e.code === 'GW_ERR_STORE_FORMAT');
});

test('JCEKS declared for a JKS file is read, as Java\'s JCEKS keystore does', () => {
  assert.equal(detectFormat(storeBytes('truststore.jks'), 'truststore.db', 'JCEKS'), 'JKS');
});

test('JKS and PKCS12 declared for each other are read, as Java 9 and later read them (keytool\'s in-place migration)', () => {
  assert.equal(detectFormat(storeBytes('keystore-jdk.p12'), 'keystore.jks', 'JKS'), 'PKCS12');
  assert.equal(detectFormat(storeBytes('keystore.jks'), 'keystore.p12', 'PKCS12'), 'JKS');
});

test('unknown types and unknown content are format errors that say what the file is', () => {
  assert.throws(() => normaliseType('BKS', 'f'), (e: GatewayError) => e.code === 'GW_ERR_STORE_FORMAT' && e.message.includes('"BKS"'));
  assert.throws(() => detectFormat(Buffer.from([1, 2, 3, 4, 5]), 'store.jks'), (e: GatewayError) =>
    e.code === 'GW_ERR_STORE_FORMAT' && /named like a JKS store/.test(e.message) && e.message.includes('01 02 03 04'));
  assert.throws(() => detectFormat(Buffer.alloc(0), 'store.db'), (e: GatewayError) => /empty/.test(e.message));
  assert.throws(() => detectFormat(Buffer.from('plain text'), 'store.db', 'PEM'), { code: 'GW_ERR_STORE_FORMAT' });
});
