import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXPIRY_NOTICE_DAYS, keyEntryValidityWarnings, truststoreValidityWarnings } from '../../../src/tls/validity.js';
import { issue } from '../../helpers/pki.js';
import { keyEntry, trustStore } from '../../helpers/tls.js';

const DAY = 86_400_000;
const ca = issue({ subject: { CN: 'Devices CA', O: 'Acme' }, isCA: true, keyType: 'ec', notAfterDays: 3650 });
const server = issue({ subject: { CN: 'gateway.example.com', O: 'Acme' }, issuer: ca, usage: 'server', keyType: 'ec' });
const entry = keyEntry('gateway', server, ca);
const notBefore = Date.parse(server.x509.validFrom);
const notAfter = Date.parse(server.x509.validTo);
const iso = (ms: number): string => new Date(ms).toISOString();
const served = [{ entry, role: 'server' as const, where: 'wss://gateway.example.com:443/echo' }];

test('a served certificate valid for longer than the notice period is not warned about', () => {
  assert.deepEqual(keyEntryValidityWarnings('/etc/gw/keystore.p12', served, notAfter - (EXPIRY_NOTICE_DAYS + 1) * DAY), []);
  assert.deepEqual(keyEntryValidityWarnings('/etc/gw/keystore.p12', served, notBefore), []);
});

test('an expired server certificate is warned about with the store, alias, subject, the accept and the date', () => {
  const [warning, ...rest] = keyEntryValidityWarnings('/etc/gw/keystore.p12', served, notAfter + DAY);
  assert.deepEqual(rest, []);
  assert.equal(
    warning,
    `keystore "/etc/gw/keystore.p12" entry "gateway" (CN=gateway.example.com, O=Acme), the server certificate of wss://gateway.example.com:443/echo, ` +
      `expired at ${iso(notAfter)}: peers that check it refuse it (CERT_HAS_EXPIRED), so those handshakes fail; renew it and replace the entry`,
  );
});

test('a certificate not valid yet says when it will be, and to check the clock', () => {
  const [warning] = keyEntryValidityWarnings('ks.pem', served, notBefore - DAY);
  assert.match(warning ?? '', new RegExp(`is not valid before ${iso(notBefore)}: .*\\(CERT_NOT_YET_VALID\\); check this machine's clock`));
});

test(`a certificate that expires within ${EXPIRY_NOTICE_DAYS} days says in how many`, () => {
  assert.match(keyEntryValidityWarnings('ks.pem', served, notAfter - 9.5 * DAY)[0] ?? '', new RegExp(`expires at ${iso(notAfter)}, in 9 days: .*renew it`));
  assert.match(keyEntryValidityWarnings('ks.pem', served, notAfter - 1.5 * DAY)[0] ?? '', /, in 1 day: /);
  assert.match(keyEntryValidityWarnings('ks.pem', served, notAfter - 3_600_000)[0] ?? '', /, within a day: /);
  assert.equal(keyEntryValidityWarnings('ks.pem', served, notAfter - EXPIRY_NOTICE_DAYS * DAY).length, 1, 'the last day of the period counts');
});

test('one warning per entry, however many accepts serve it and connects present it', () => {
  const uses = [
    ...served,
    { entry, role: 'server' as const, where: 'wss://gateway.example.com:443/echo' },
    { entry, role: 'server' as const, where: 'https://gateway.example.com:443/' },
    { entry, role: 'server' as const, where: 'wss://gateway.example.com:8443/x' },
    { entry, role: 'client' as const, where: 'wss://central.example.com/devices' },
  ];
  const warnings = keyEntryValidityWarnings('ks.pem', uses, notAfter + DAY);
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0] ?? '',
    /, the server certificate of wss:\/\/gateway\.example\.com:443\/echo, https:\/\/gateway\.example\.com:443\/ and 1 more, and the client certificate presented to wss:\/\/central\.example\.com\/devices, expired at /,
  );
});

test('an expired truststore CA is warned about by alias, subject and date; one valid for long is not', () => {
  const old = issue({ subject: { CN: 'Old CA', O: 'Acme' }, isCA: true, keyType: 'ec', notBeforeDays: -800, notAfterDays: -30 });
  const store = trustStore(ca, old);
  const warnings = truststoreValidityWarnings('/etc/gw/truststore.jks', store);
  assert.deepEqual(warnings, [
    `truststore "/etc/gw/truststore.jks" certificate "trusted-1" (CN=Old CA, O=Acme) expired at ${iso(Date.parse(old.x509.validTo))}: ` +
      "every certificate that chains to it is refused (CERT_HAS_EXPIRED); install the CA's renewed certificate, or remove it",
  ]);
});

test("a truststore's key entries are left to the keystore's warnings", () => {
  const store = { ...trustStore(), keys: [entry] };
  assert.deepEqual(truststoreValidityWarnings('both.p12', store, notAfter + DAY), []);
});
