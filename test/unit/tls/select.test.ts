import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateHostNames, normaliseHostname, selectKeyEntries, selfSigned } from '../../../src/tls/select.js';
import { issue, testPki } from '../../helpers/pki.js';
import { keyEntry } from '../../helpers/tls.js';

const aliases = (entries: { alias: string }[]): string[] => entries.map((e) => e.alias);

test('entries are found by CN and by DNS SAN, in any case', () => {
  const { ca } = testPki();
  const byCn = keyEntry('by-cn', issue({ subject: { CN: 'Gateway.Example.com' }, issuer: ca }));
  const bySan = keyEntry('by-san', issue({ subject: { CN: 'ignored' }, sans: ['DNS:api.example.com'], issuer: ca }));
  const keys = [byCn, bySan];
  assert.deepEqual(aliases(selectKeyEntries(keys, 'gateway.example.com')), ['by-cn']);
  assert.deepEqual(aliases(selectKeyEntries(keys, 'API.example.COM')), ['by-san']);
  assert.deepEqual(aliases(selectKeyEntries(keys, 'other.example.com')), []);
  assert.deepEqual(certificateHostNames(bySan.chain[0]!).names, ['ignored', 'api.example.com']);
});

test('a *. wildcard covers exactly one label', () => {
  const wild = keyEntry('wild', issue({ subject: { CN: '*.example.org' } }));
  assert.deepEqual(aliases(selectKeyEntries([wild], 'a.example.org')), ['wild']);
  assert.deepEqual(aliases(selectKeyEntries([wild], 'example.org')), []);
  assert.deepEqual(aliases(selectKeyEntries([wild], 'a.b.example.org')), []);
  assert.deepEqual(aliases(selectKeyEntries([wild], 'aexample.org')), []);
});

test('a wildcard over a top-level domain matches nothing', () => {
  const tld = keyEntry('tld', issue({ subject: { CN: '*.com' } }));
  assert.deepEqual(aliases(selectKeyEntries([tld], 'example.com')), []);
});

test('an IP literal matches IP SANs, IPv6 however written', () => {
  const { server } = testPki();
  const keys = [keyEntry('server', server)];
  assert.deepEqual(aliases(selectKeyEntries(keys, '127.0.0.1')), ['server']);
  assert.deepEqual(aliases(selectKeyEntries(keys, '[::1]')), ['server']);
  assert.deepEqual(aliases(selectKeyEntries(keys, '0:0:0:0:0:0:0:1')), ['server']);
  assert.deepEqual(aliases(selectKeyEntries(keys, '10.0.0.1')), []);
});

test('valid certificates come before expired ones, then the name as CN, as SAN, as wildcard, then store order', () => {
  const expiredExact = keyEntry('expired-exact', issue({ subject: { CN: 'a.example.net' }, notBeforeDays: -10, notAfterDays: -1 }));
  const wildcard = keyEntry('wildcard', issue({ subject: { CN: '*.example.net' } }));
  // exact-1 and exact-3 hold one certificate: equal in all but their place in the store.
  const bySan = issue({ subject: { CN: 'x' }, sans: ['DNS:a.example.net'] });
  const exact1 = keyEntry('exact-1', bySan);
  const exact2 = keyEntry('exact-2', issue({ subject: { CN: 'a.example.net' } }));
  const exact3 = keyEntry('exact-3', bySan);
  assert.deepEqual(aliases(selectKeyEntries([expiredExact, wildcard, exact1, exact2, exact3], 'a.example.net')), [
    'exact-2',
    'exact-1',
    'exact-3',
    'wildcard',
    'expired-exact',
  ]);
});

test('of two valid certificates for the name, the one that expires later is served: a renewal imported next to the old one', () => {
  const old = keyEntry('localhost', issue({ subject: { CN: 'a.example.net' }, notBeforeDays: -300, notAfterDays: 2 }));
  const renewed = keyEntry('zz-new', issue({ subject: { CN: 'a.example.net' }, notBeforeDays: -1, notAfterDays: 365 }));
  const notYet = keyEntry('future', issue({ subject: { CN: 'a.example.net' }, notBeforeDays: 5, notAfterDays: 800 }));
  assert.deepEqual(aliases(selectKeyEntries([old, notYet, renewed], 'a.example.net')), ['zz-new', 'localhost', 'future']);
  assert.deepEqual(aliases(selectKeyEntries([renewed, old], 'a.example.net')), ['zz-new', 'localhost']);
});

test('a certificate a CA issued is served before a self-signed one: the placeholder of a keytool renewal does not win by its later end', () => {
  const { ca } = testPki();
  const old = keyEntry('gateway', issue({ subject: { CN: 'a.example.net' }, issuer: ca, notBeforeDays: -360, notAfterDays: 5 , keyType: 'ec' }));
  const wildcard = keyEntry('wildcard', issue({ subject: { CN: '*.example.net' }, issuer: ca, notBeforeDays: -1, notAfterDays: 30 , keyType: 'ec' }));
  const placeholder = keyEntry('gateway-2027', issue({ subject: { CN: 'a.example.net' }, notBeforeDays: 0, notAfterDays: 90 , keyType: 'ec' }));
  const expired = keyEntry('expired', issue({ subject: { CN: 'a.example.net' }, issuer: ca, notBeforeDays: -400, notAfterDays: -1 , keyType: 'ec' }));
  assert.deepEqual(aliases(selectKeyEntries([placeholder, wildcard, old, expired], 'a.example.net')), ['gateway', 'wildcard', 'gateway-2027', 'expired']);
  // Alone, a self-signed certificate is served: some deployments pin one.
  assert.deepEqual(aliases(selectKeyEntries([placeholder, expired], 'a.example.net')), ['gateway-2027', 'expired']);
  assert.equal(selfSigned(placeholder.chain[0]!), true);
  assert.equal(selfSigned(old.chain[0]!), false);
  assert.equal(selfSigned(ca.x509), true);
});

test('host names are compared lower case, without brackets or a trailing dot', () => {
  assert.equal(normaliseHostname('Example.COM.'), 'example.com');
  assert.equal(normaliseHostname('[::1]'), '::1');
});
