import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { GatewayError } from '../../../src/errors.js';
import { normalizeFingerprint } from '../../../src/auth/fingerprint.js';
import { testPki } from '../../helpers/pki.js';

const colon = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';

test('keytool colon hex, plain hex and either case all normalise to upper-case colon hex', () => {
  assert.equal(normalizeFingerprint(colon), colon);
  assert.equal(normalizeFingerprint(colon.toLowerCase()), colon);
  assert.equal(normalizeFingerprint(colon.replace(/:/g, '')), colon);
  assert.equal(normalizeFingerprint(`  ${colon.replace(/:/g, '').toLowerCase()}\n`), colon);
});

test('the labels keytool and openssl print before the value are accepted', () => {
  assert.equal(normalizeFingerprint(`SHA256: ${colon}`), colon);
  assert.equal(normalizeFingerprint(`sha256 Fingerprint=${colon}`), colon);
  assert.equal(normalizeFingerprint(`SHA-256:${colon}`), colon);
});

test('the fingerprint of a real certificate, as sha256sum of its DER prints it, equals what Node reports', () => {
  const cert = new X509Certificate(testPki().client.cert);
  const hex = createHash('sha256').update(cert.raw).digest('hex');
  assert.equal(normalizeFingerprint(hex), cert.fingerprint256);
});

test('anything but 32 bytes of hex is a GW_ERR_CONFIG_VALUE saying so', () => {
  const pos = { file: 'gateway-config.xml', line: 4 };
  const bad: [string, RegExp][] = [
    [colon.slice(3), /32 bytes of hex \(it has 31 bytes\)/],
    [colon + ':00', /\(it has 33 bytes\)/],
    ['SHA1: AB:CD', /32 bytes of hex$/],
    [colon.replace('AB', 'XY'), /32 bytes of hex$/],
    [colon.replace(':', '::'), /32 bytes of hex$/],
    ['', /\(it has 0 bytes\)/],
  ];
  for (const [text, why] of bad) {
    assert.throws(
      () => normalizeFingerprint(text, pos),
      (e: unknown) =>
        e instanceof GatewayError &&
        e.code === 'GW_ERR_CONFIG_VALUE' &&
        e.position === pos &&
        e.message.startsWith(`<client-fingerprint> "${text}" is not a SHA-256 fingerprint`) &&
        why.test(e.message),
      text,
    );
  }
});
