import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CertificateCache } from '../../../src/tls/certificate-cache.js';
import { testPki } from '../../helpers/pki.js';

test('a certificate is read once and then served from the cache, its names as the reader gives them', () => {
  const { client } = testPki();
  const cache = new CertificateCache(4);
  const first = cache.lookup(client.x509.fingerprint256, client.x509.raw);
  assert.ok(first);
  assert.equal(first.subject, 'CN=device-1, OU=devices, O=Acme');
  assert.equal(first.serialNumber, client.x509.serialNumber);
  assert.deepEqual(first.subjectAttributes, { CN: ['device-1'], OU: ['devices'], O: ['Acme'] });
  assert.ok(Object.isFrozen(first.sans) && Object.isFrozen(first.subjectAttributes));
  assert.equal(cache.lookup(client.x509.fingerprint256, client.x509.raw), first);
});

test('the cache holds at most its size, the least recently used leaving first', () => {
  const { client, client2, ca, server } = testPki();
  const cache = new CertificateCache(2);
  const a = cache.lookup(client.x509.fingerprint256, client.x509.raw);
  cache.lookup(client2.x509.fingerprint256, client2.x509.raw);
  assert.equal(cache.lookup(client.x509.fingerprint256, client.x509.raw), a, 'used again: now the most recent');
  cache.lookup(ca.x509.fingerprint256, ca.x509.raw);
  assert.equal(cache.size, 2);
  assert.equal(cache.lookup(client.x509.fingerprint256, client.x509.raw), a, 'kept');
  cache.lookup(server.x509.fingerprint256, server.x509.raw);
  assert.notEqual(cache.lookup(client2.x509.fingerprint256, client2.x509.raw), undefined);
  assert.equal(cache.size, 2);
});

test('an entry is used only for the same DER, and DER that does not parse gives nothing', () => {
  const { client, client2 } = testPki();
  const cache = new CertificateCache(4);
  const wrong = cache.lookup('same', client.x509.raw);
  const right = cache.lookup('same', client2.x509.raw);
  assert.notEqual(wrong, right);
  assert.equal(right?.subject, 'CN=device-2, OU=devices, O=Acme');
  assert.equal(cache.lookup('junk', Buffer.from('not a certificate')), undefined);
});
