import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACCEPT_OPTIONS, TLS_ALIASED, didYouMean, editDistance, isTransportOption, nearestName } from '../../../src/config/vocabulary.js';

test('edit distance counts insertions, deletions and substitutions, ignoring case', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('SSL.Ciphers', 'ssl.ciphers'), 0);
  assert.equal(editDistance('ssl.cipher', 'ssl.ciphers'), 1);
});

test('the nearest name is offered only when it is a likely typo', () => {
  assert.equal(nearestName('ssl.cipher', ACCEPT_OPTIONS), 'ssl.ciphers');
  assert.equal(nearestName('ws.inactivity.timout', ACCEPT_OPTIONS), 'ws.inactivity.timeout');
  assert.equal(nearestName('foo', ACCEPT_OPTIONS), undefined);
  assert.equal(didYouMean('servce', ['service', 'security']), 'did you mean <service>?');
  assert.equal(didYouMean('zzzzzzz', ['service', 'security']), undefined);
});

test('the ssl.* names with tls.* aliases; *.transport names are recognised', () => {
  assert.deepEqual([...TLS_ALIASED], ['ssl.verify-client', 'ssl.ciphers', 'ssl.protocols', 'ssl.encryption', 'ssl.bind', 'ssl.crl', 'ssl.verify-depth']);
  assert.ok(isTransportOption('tcp.transport'));
  assert.ok(isTransportOption('pipe.transport'));
  assert.ok(!isTransportOption('tcp.bind'));
});
