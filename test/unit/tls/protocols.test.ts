import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/errors.js';
import { DEFAULT_PROTOCOLS, resolveProtocols } from '../../../src/tls/protocols.js';

const WHERE = 'accept wss://example.com:443/';

function rejects(protocols: string[], pattern: RegExp): void {
  assert.throws(
    () => resolveProtocols(protocols, WHERE),
    (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_TLS_PROTOCOLS' && pattern.test(e.message),
  );
}

test('no list means TLSv1.2 and up', () => {
  assert.equal(resolveProtocols(undefined, WHERE), DEFAULT_PROTOCOLS);
  assert.equal(DEFAULT_PROTOCOLS.minVersion, 'TLSv1.2');
  assert.equal(DEFAULT_PROTOCOLS.maxVersion, 'TLSv1.3');
});

test('a list becomes its lowest and highest version, in any order and case', () => {
  const r = resolveProtocols(['TLSv1.3', 'tlsv1.2'], WHERE);
  assert.deepEqual([r.minVersion, r.maxVersion, r.legacy, r.warnings], ['TLSv1.2', 'TLSv1.3', false, []]);
  const one = resolveProtocols(['TLSv1.2'], WHERE);
  assert.deepEqual([one.minVersion, one.maxVersion], ['TLSv1.2', 'TLSv1.2']);
});

test('TLSv1 and TLSv1.1 are allowed, flagged legacy, with a warning naming them', () => {
  const r = resolveProtocols(['TLSv1', 'TLSv1.1', 'TLSv1.2'], WHERE);
  assert.deepEqual([r.minVersion, r.maxVersion, r.legacy], ['TLSv1', 'TLSv1.2', true]);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0] ?? '', /enables TLSv1 and TLSv1\.1.*security level 0/);
  assert.match(resolveProtocols(['TLSv1.1'], WHERE).warnings[0] ?? '', /enables TLSv1\.1,/);
});

test('a gap is refused, naming what is missing', () => {
  rejects(['TLSv1', 'TLSv1.2'], /leaves out TLSv1\.1: OpenSSL enables a contiguous range/);
});

test('unknown, unavailable and empty lists are refused', () => {
  rejects(['TLSv1.4'], /unknown protocol "TLSv1\.4"/);
  rejects(['SSLv3', 'TLSv1.2'], /names SSLv3, which this platform's OpenSSL does not provide/);
  rejects([], /names no TLS protocol/);
});

test("Java's SSLv2Hello pseudo-protocol is ignored with a warning", () => {
  const r = resolveProtocols(['SSLv2Hello', 'TLSv1.2'], WHERE);
  assert.deepEqual([r.minVersion, r.maxVersion], ['TLSv1.2', 'TLSv1.2']);
  assert.match(r.warnings[0] ?? '', /SSLv2Hello is ignored/);
});
