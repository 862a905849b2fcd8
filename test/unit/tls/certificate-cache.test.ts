import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CertificateCache } from '../../../src/tls/certificate-cache.js';
import { testPki } from '../../helpers/pki.js';

test('a certificate is read once and then served from the cache, its names as the reader gives them', () => {
  const { client } = testPki();
  const cache = new CertificateCache(4);
  const first = cache.lookup(client.x509.raw);
  assert.ok(first);
  assert.equal(first.subject, 'CN=device-1, OU=devices, O=Acme');
  assert.equal(first.serialNumber, client.x509.serialNumber);
  assert.deepEqual(first.subjectAttributes, { CN: ['device-1'], OU: ['devices'], O: ['Acme'] });
  assert.ok(Object.isFrozen(first.sans) && Object.isFrozen(first.subjectAttributes));
  assert.equal(cache.lookup(client.x509.raw), first);
});

test('the cache holds at most its size, the least recently used leaving first', () => {
  const { client, client2, ca, server } = testPki();
  const cache = new CertificateCache(2);
  const a = cache.lookup(client.x509.raw);
  cache.lookup(client2.x509.raw);
  assert.equal(cache.lookup(client.x509.raw), a, 'used again: now the most recent');
  cache.lookup(ca.x509.raw);
  assert.equal(cache.size, 2);
  assert.equal(cache.lookup(client.x509.raw), a, 'kept');
  cache.lookup(server.x509.raw);
  assert.notEqual(cache.lookup(client2.x509.raw), undefined);
  assert.equal(cache.size, 2);
});

test('each DER has its own entry, and DER that does not parse gives nothing', () => {
  const { client, client2 } = testPki();
  const cache = new CertificateCache(4);
  const one = cache.lookup(client.x509.raw);
  const two = cache.lookup(client2.x509.raw);
  assert.notEqual(one, two);
  assert.equal(two?.subject, 'CN=device-2, OU=devices, O=Acme');
  assert.equal(cache.lookup(Buffer.from(client.x509.raw)), one, 'found by its content, not by the buffer');
  assert.equal(cache.lookup(Buffer.from('not a certificate')), undefined);
  assert.equal(cache.size, 2);
});
