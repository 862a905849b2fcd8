import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commonNames, dnAttributes, formatDn, readCertificateNames } from '../../../src/tls/x509-names.js';
import { issue, testPki } from '../../helpers/pki.js';

test('subject and issuer print most specific first, as Java does', () => {
  const { client } = testPki();
  const names = readCertificateNames(client.x509.raw);
  assert.equal(formatDn(names.subject), 'CN=device-1, OU=devices, O=Acme');
  assert.equal(formatDn(names.issuer), 'CN=Test Root CA, O=Acme');
  assert.deepEqual(dnAttributes(names.subject), { CN: ['device-1'], OU: ['devices'], O: ['Acme'] });
  assert.deepEqual(commonNames(names), ['device-1']);
});

test('SANs of every kind are read with their type, IPv6 in RFC 5952 form', () => {
  const cert = issue({
    subject: { CN: 'multi' },
    sans: ['DNS:a.example.com', 'EMAIL:ops@example.com', 'URI:spiffe://acme.com/device/7', 'IP:10.1.2.3', 'IP:2001:db8:0:0:0:0:0:1'],
  });
  assert.deepEqual(readCertificateNames(cert.x509.raw).sans, [
    { type: 'DNS', value: 'a.example.com' },
    { type: 'EMAIL', value: 'ops@example.com' },
    { type: 'URI', value: 'spiffe://acme.com/device/7' },
    { type: 'IP', value: '10.1.2.3' },
    { type: 'IP', value: '2001:db8::1' },
  ]);
});

test('a certificate without SANs has none', () => {
  const cert = issue({ subject: { CN: 'bare', C: 'DE' } });
  const names = readCertificateNames(cert.x509.raw);
  assert.deepEqual(names.sans, []);
  assert.equal(formatDn(names.subject), 'CN=bare, C=DE');
});

test('RFC 2253 special characters in values are escaped', () => {
  const cert = issue({ subject: { CN: 'Smith, John+Jr', O: '#hash "quoted"' } });
  const names = readCertificateNames(cert.x509.raw);
  assert.equal(formatDn(names.subject), 'CN=Smith\\, John\\+Jr, O=\\#hash \\"quoted\\"');
  assert.deepEqual(dnAttributes(names.subject), { CN: ['Smith, John+Jr'], O: ['#hash "quoted"'] });
});
