import { test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { GatewayError } from '../../../src/errors.js';
import { DEFAULT_CIPHERS } from '../../../src/tls/ciphers.js';
import { resolveTlsPolicy } from '../../../src/tls/policy.js';

const WHERE = 'accept wss://example.com:443/';

test('defaults: TLSv1.2 to TLSv1.3 with the ECDHE + AEAD cipher list', () => {
  assert.deepEqual(resolveTlsPolicy(undefined, undefined, WHERE), {
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: DEFAULT_CIPHERS,
    warnings: [],
  });
});

test('legacy protocols put the cipher list at security level 0 and warn', () => {
  const p = resolveTlsPolicy('HIGH', ['TLSv1', 'TLSv1.1', 'TLSv1.2'], WHERE);
  assert.equal(p.ciphers, 'HIGH:@SECLEVEL=0');
  assert.equal(p.minVersion, 'TLSv1');
  assert.equal(p.warnings.length, 1);
  assert.equal(resolveTlsPolicy(undefined, ['TLSv1'], WHERE).ciphers, `${tls.DEFAULT_CIPHERS}:@SECLEVEL=0`);
});

test('warnings of both settings are collected', () => {
  const p = resolveTlsPolicy('NOSUCH,HIGH', ['TLSv1.1', 'TLSv1.2'], WHERE);
  assert.equal(p.warnings.length, 2);
});

test('TLS 1.3 suites alone with protocols below TLSv1.3 are refused', () => {
  assert.throws(
    () => resolveTlsPolicy('TLS_AES_128_GCM_SHA256', ['TLSv1.2'], WHERE),
    (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_TLS_CIPHERS' && /TLS 1\.3 suites only/.test(e.message),
  );
  assert.equal(resolveTlsPolicy('TLS_AES_128_GCM_SHA256', ['TLSv1.2', 'TLSv1.3'], WHERE).ciphers, 'TLS_AES_128_GCM_SHA256');
});
