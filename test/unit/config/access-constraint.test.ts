import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFingerprint, checkPathIdentity, checkSan, checkSubject } from '../../../src/config/access-constraint.js';
import { GatewayError } from '../../../src/errors.js';
import { config, doc, parse, proxy, where } from '../../helpers/config.js';

const FP_COLON = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';
const FP_PLAIN = FP_COLON.replace(/:/g, '').toLowerCase();

/** A proxy service whose extra lines (from line 7) are `lines`. */
const withConstraints = (...lines: string[]): string => doc(...proxy('p', 'ws://h/', undefined, lines));

function refused(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_CONFIG_VALUE' && message.test(e.message));
}

test('access-constraints are read in document order with every condition kept as written', () => {
  const c = config(
    parse(
      withConstraints(
        '    <access-constraint>',
        '      <client-subject>OU=devices, O=Acme</client-subject>',
        '      <client-subject>OU=gateways,O=Acme</client-subject>',
        '      <client-san>DNS:*.devices.acme.com</client-san>',
        '      <client-san>uri:spiffe://acme.com/device/*</client-san>',
        `      <client-fingerprint>${FP_COLON}</client-fingerprint>`,
        `      <client-fingerprint>${FP_PLAIN}</client-fingerprint>`,
        '      <client-address>10.0.0.0/8</client-address>',
        '      <client-address>2001:db8::/32</client-address>',
        '      <path-identity>CN</path-identity>',
        '    </access-constraint>',
        '    <access-constraint><path-identity>SAN:DNS</path-identity><client-address>192.0.2.7</client-address></access-constraint>',
      ),
    ),
  );
  assert.deepEqual(c.services[0]?.accessConstraints, [
    {
      subjects: ['OU=devices, O=Acme', 'OU=gateways,O=Acme'],
      sans: ['DNS:*.devices.acme.com', 'uri:spiffe://acme.com/device/*'],
      fingerprints: [FP_COLON, FP_PLAIN],
      addresses: ['10.0.0.0/8', '2001:db8::/32'],
      pathIdentity: 'CN',
      position: { file: 'conf/gateway-config.xml', line: 7, column: 5 },
    },
    { subjects: [], sans: [], fingerprints: [], addresses: ['192.0.2.7'], pathIdentity: 'SAN:DNS', position: { file: 'conf/gateway-config.xml', line: 18, column: 5 } },
  ]);
});

test('a service without access-constraint has none', () => {
  assert.deepEqual(config(parse(doc(...proxy('p', 'ws://h/')))).services[0]?.accessConstraints, []);
});

test('access-constraint comes after cross-site-constraint; an earlier one is out of order', () => {
  const ok = parse(withConstraints('    <cross-site-constraint><allow-origin>*</allow-origin></cross-site-constraint>', '    <access-constraint><path-identity>CN</path-identity></access-constraint>'));
  assert.equal(ok.ok, true);
  const r = parse(withConstraints('    <access-constraint><path-identity>CN</path-identity></access-constraint>', '    <cross-site-constraint><allow-origin>*</allow-origin></cross-site-constraint>'));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_ORDER 8:5']);
  assert.match(r.diagnostics[0]?.message ?? '', /<cross-site-constraint> is out of order in <service>: it must come before <access-constraint> \(line 7:5\)/);
});

test('an empty access-constraint is an error at its position', () => {
  const r = parse(withConstraints('    <access-constraint>', '    </access-constraint>'));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_MISSING 7:5']);
  assert.match(r.diagnostics[0]?.message ?? '', /would admit every client/);
});

test('path-identity at most once; unknown children get a hint', () => {
  const r = parse(withConstraints('    <access-constraint>', '      <path-identity>CN</path-identity>', '      <path-identity>OU</path-identity>', '      <client-subjects>CN=x</client-subjects>', '    </access-constraint>'));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_DUPLICATE 9:7', 'error GW_ERR_CONFIG_UNKNOWN_ELEMENT 10:7']);
  assert.equal(r.diagnostics[1]?.hint, 'did you mean <client-subject>?');
});

test('every bad value is reported at its own element', () => {
  const r = parse(
    withConstraints(
      '    <access-constraint>',
      '      <client-subject>OU devices</client-subject>',
      '      <client-san>SRV:_x.acme.com</client-san>',
      '      <client-san>IP:10.0.0.0/33</client-san>',
      '      <client-fingerprint>AB:CD</client-fingerprint>',
      '      <client-address>10.0.0.300</client-address>',
      '      <path-identity>SAN:SRV</path-identity>',
      '      <client-subject>CN=ok</client-subject>',
      '    </access-constraint>',
    ),
  );
  assert.deepEqual(where(r), [8, 9, 10, 11, 12, 13].map((line) => `error GW_ERR_CONFIG_VALUE ${line}:7`));
  assert.match(r.diagnostics[0]?.message ?? '', /<client-subject> "OU devices" is not valid: "OU devices" has no "="/);
  assert.match(r.diagnostics[1]?.message ?? '', /unknown kind "SRV"/);
  assert.match(r.diagnostics[2]?.message ?? '', /prefix length "33" is not a number from 0 to 32/);
  assert.match(r.diagnostics[3]?.message ?? '', /it has 2 bytes/);
  assert.match(r.diagnostics[4]?.message ?? '', /"10.0.0.300" is not an IP address or CIDR block/);
  assert.match(r.diagnostics[5]?.message ?? '', /unknown SAN kind "SRV"/);
});

test('subject: attribute=value pairs with RFC 4514 escapes; names are keywords or OIDs', () => {
  for (const ok of ['CN=device-1', 'OU=devices, O=Acme', 'CN=a+UID=b', 'O=Acme\\, Inc.', 'CN=\\C3\\A9t\\C3\\A9', '2.5.4.3=x', 'emailAddress=a@b', 'CN=device-*', 'CN = spaced ']) {
    assert.equal(checkSubject(ok), ok.trim(), ok);
  }
  refused(() => checkSubject(''), /is empty/);
  refused(() => checkSubject('=x'), /an attribute name is missing/);
  refused(() => checkSubject('C N=x'), /"C N" is not an attribute name/);
  refused(() => checkSubject('CN='), /the value of CN is empty/);
  refused(() => checkSubject('CN=a,'), /ends with ","/);
  refused(() => checkSubject('CN=a"b'), /must be escaped as "\\""/);
  refused(() => checkSubject('CN=#0401'), /"#" in the value of CN must be escaped/);
  refused(() => checkSubject('CN=a\\q'), /"\\q" in the value of CN is not an escape/);
  refused(() => checkSubject('CN=a\\'), /ends with a lone "\\"/);
});

test('SAN: DNS, URI, EMAIL, IP in any case; IP takes an address or CIDR block', () => {
  for (const ok of ['DNS:*.devices.acme.com', 'dns:device-1.acme.com', 'URI:spiffe://acme.com/x', 'EMAIL:ops@acme.com', 'IP:10.1.2.3', 'IP:2001:db8::/32', 'Ip: 192.0.2.0/24']) {
    assert.equal(checkSan(ok), ok);
  }
  refused(() => checkSan('device.acme.com'), /does not start with a kind/);
  refused(() => checkSan('DNS:'), /has no value after "DNS:"/);
  refused(() => checkSan('IP:acme.com'), /is not an IP address or CIDR block/);
  refused(() => checkSan('IP:[::1]'), /without brackets/);
});

test('fingerprint: 32 bytes of hex, colon or plain, with an optional SHA256: label', () => {
  assert.equal(checkFingerprint(FP_COLON), FP_COLON);
  assert.equal(checkFingerprint(FP_PLAIN), FP_PLAIN);
  assert.equal(checkFingerprint(`SHA256: ${FP_COLON}`), `SHA256: ${FP_COLON}`);
  refused(() => checkFingerprint(FP_PLAIN.slice(0, 40)), /it has 20 bytes/);
  refused(() => checkFingerprint(FP_COLON + ':00'), /it has 33 bytes/);
  refused(() => checkFingerprint(FP_PLAIN.replace('a', 'g')), /not a SHA-256 fingerprint/);
  refused(() => checkFingerprint('AB:CD:EF' + FP_PLAIN.slice(6)), /not a SHA-256 fingerprint/);
});

test('path-identity: a subject attribute or SAN:DNS|URI|EMAIL|IP', () => {
  for (const ok of ['CN', 'OU', 'uid', '2.5.4.3', 'SAN:DNS', 'san:uri', 'SAN:EMAIL', 'SAN:IP']) assert.equal(checkPathIdentity(ok), ok);
  refused(() => checkPathIdentity('CN=x'), /is not a subject attribute or SAN kind/);
  refused(() => checkPathIdentity('SAN:'), /unknown SAN kind ""/);
  refused(() => checkPathIdentity(''), /is not a subject attribute/);
});
