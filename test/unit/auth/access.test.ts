import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GatewayError } from '../../../src/errors.js';
import { compileAccessRules, type AccessConstraint, type AccessRequest } from '../../../src/auth/access.js';
import { identity } from '../../helpers/access-identity.js';

let line = 0;
/** A constraint with only the conditions given, at a distinct line of gateway-config.xml. */
function constraint(c: Partial<Omit<AccessConstraint, 'position'>>): AccessConstraint {
  line += 10;
  return {
    subjects: [],
    sans: [],
    fingerprints: [],
    addresses: [],
    pathIdentity: undefined,
    ...c,
    position: { file: 'gateway-config.xml', line, column: 5 },
  };
}
const req = (r: Partial<AccessRequest> = {}): AccessRequest => ({
  identity: identity(),
  address: '203.0.113.7',
  acceptPath: '/v1/devices',
  requestPath: '/v1/devices/device-1',
  ...r,
});
const noCert = { presented: false, verified: false, subject: undefined, subjectAttributes: {}, sans: [], fingerprint256: undefined };
const fp1 = identity().fingerprint256 as string;

test('no constraint: every client is admitted, with or without a certificate', () => {
  const rules = compileAccessRules([]);
  assert.equal(rules.empty, true);
  assert.equal(rules.check(req()), undefined);
  assert.equal(rules.check(req({ identity: undefined })), undefined);
  assert.equal(compileAccessRules([constraint({ subjects: ['O=Acme'] })]).empty, false);
});

test('client-subject admits a matching verified certificate; the reason names the client and the pattern', () => {
  const c = constraint({ subjects: ['OU=devices, O=Acme', 'OU=sensors'] });
  const rules = compileAccessRules([c]);
  assert.equal(rules.check(req()), undefined);
  assert.equal(rules.check(req({ identity: identity({ subjectAttributes: { OU: ['sensors'] } }) })), undefined);
  assert.equal(
    rules.check(req({ identity: identity({ subjectAttributes: { CN: ['device-9'], OU: ['actuators'], O: ['Acme'] } }) })),
    `client 203.0.113.7 (certificate "CN=device-9, OU=actuators, O=Acme") refused: ` +
      `access-constraint at gateway-config.xml:${c.position.line}:5: client-subject: no match for "OU=devices, O=Acme" or "OU=sensors"`,
  );
});

test('a certificate condition fails without a certificate, and with one that did not verify', () => {
  const c = constraint({ subjects: ['O=Acme'], pathIdentity: 'CN' });
  const rules = compileAccessRules([c]);
  const at = `access-constraint at gateway-config.xml:${c.position.line}:5`;
  assert.equal(
    rules.check(req({ identity: undefined })),
    `client 203.0.113.7 (no certificate) refused: ${at}: no verified client certificate for client-subject, path-identity`,
  );
  assert.equal(
    rules.check(req({ identity: { ...noCert, error: 'no certificate' } })),
    `client 203.0.113.7 (no certificate) refused: ${at}: no verified client certificate for client-subject, path-identity`,
  );
  assert.equal(
    rules.check(req({ identity: identity({ verified: false, error: 'CERT_HAS_EXPIRED' }) })),
    `client 203.0.113.7 (certificate "CN=device-1, OU=devices, O=Acme" not verified: CERT_HAS_EXPIRED) refused: ` +
      `${at}: no verified client certificate for client-subject, path-identity`,
  );
});

test('client-san: any of the patterns; the reason lists the certificate\'s SANs', () => {
  const c = constraint({ sans: ['DNS:*.sensors.acme.com', 'URI:spiffe://acme.com/device/*'] });
  const rules = compileAccessRules([c]);
  assert.equal(rules.check(req()), undefined);
  assert.equal(
    rules.check(req({ identity: identity({ sans: [{ type: 'DNS', value: 'x.devices.acme.com' }] }) })),
    `client 203.0.113.7 (certificate "CN=device-1, OU=devices, O=Acme") refused: access-constraint at gateway-config.xml:${c.position.line}:5: ` +
      `client-san: no match for "DNS:*.sensors.acme.com" or "URI:spiffe://acme.com/device/*" (the certificate has "DNS:x.devices.acme.com")`,
  );
  assert.match(rules.check(req({ identity: identity({ sans: [] }) })) ?? '', /\(the certificate has no SAN\)$/);
});

test('client-fingerprint: pinned certificates in either notation, any case', () => {
  const other = '01:'.repeat(31) + '02';
  const c = constraint({ fingerprints: [other, fp1.replace(/:/g, '').toLowerCase()] });
  const rules = compileAccessRules([c]);
  assert.equal(rules.check(req()), undefined);
  assert.equal(rules.check(req({ identity: identity({ fingerprint256: fp1.toLowerCase() }) })), undefined);
  const third = 'FF:'.repeat(31) + 'EE';
  assert.equal(
    rules.check(req({ identity: identity({ fingerprint256: third }) })),
    `client 203.0.113.7 (certificate "CN=device-1, OU=devices, O=Acme") refused: access-constraint at gateway-config.xml:${c.position.line}:5: ` +
      `client-fingerprint: ${third} is not listed`,
  );
  assert.match(rules.check(req({ identity: identity({ fingerprint256: undefined }) })) ?? '', /client-fingerprint: the certificate has no fingerprint$/);
});

test('client-address alone admits a client without a certificate (verify-client optional)', () => {
  const c = constraint({ addresses: ['10.0.0.0/8', '2001:db8::/32'] });
  const rules = compileAccessRules([c]);
  assert.equal(rules.check(req({ identity: undefined, address: '10.1.2.3' })), undefined);
  assert.equal(rules.check(req({ identity: undefined, address: '::ffff:10.1.2.3' })), undefined);
  assert.equal(rules.check(req({ identity: undefined, address: '2001:db8::1' })), undefined);
  assert.equal(
    rules.check(req({ identity: undefined, address: '::ffff:203.0.113.7' })),
    `client ::ffff:203.0.113.7 (no certificate) refused: access-constraint at gateway-config.xml:${c.position.line}:5: ` +
      `client-address: ::ffff:203.0.113.7 is not in 10.0.0.0/8 or 2001:db8::/32`,
  );
});

test('client-address with a certificate condition in the same constraint: both must hold', () => {
  const c = constraint({ addresses: ['10.0.0.0/8'], subjects: ['OU=devices'] });
  const rules = compileAccessRules([c]);
  assert.equal(rules.check(req({ address: '10.1.2.3' })), undefined);
  const at = `access-constraint at gateway-config.xml:${c.position.line}:5`;
  assert.equal(
    rules.check(req({ identity: undefined, address: '10.1.2.3' })),
    `client 10.1.2.3 (no certificate) refused: ${at}: no verified client certificate for client-subject`,
  );
  assert.equal(
    rules.check(req({ address: '192.0.2.1' })),
    `client 192.0.2.1 (certificate "CN=device-1, OU=devices, O=Acme") refused: ${at}: client-address: 192.0.2.1 is not in 10.0.0.0/8`,
  );
  assert.equal(
    rules.check(req({ identity: undefined, address: '192.0.2.1' })),
    `client 192.0.2.1 (no certificate) refused: ${at}: no verified client certificate for client-subject, client-address: 192.0.2.1 is not in 10.0.0.0/8`,
  );
});

test('path-identity: the first segment after the accept path must be the certificate\'s value', () => {
  const c = constraint({ pathIdentity: 'CN' });
  const rules = compileAccessRules([c]);
  const at = `access-constraint at gateway-config.xml:${c.position.line}:5`;
  const who = 'client 203.0.113.7 (certificate "CN=device-1, OU=devices, O=Acme") refused';
  assert.equal(rules.check(req()), undefined);
  assert.equal(rules.check(req({ requestPath: '/v1/devices/device-1/telemetry?since=0' })), undefined);
  assert.equal(rules.check(req({ requestPath: '/v1/devices/device-%31' })), undefined);
  assert.equal(
    rules.check(req({ requestPath: '/v1/devices/device-2' })),
    `${who}: ${at}: path-identity CN: the path segment "device-2" is not the certificate's CN "device-1"`,
  );
  assert.equal(
    rules.check(req({ requestPath: '/v1/devices/Device-1' })),
    `${who}: ${at}: path-identity CN: the path segment "Device-1" is not the certificate's CN "device-1"`,
  );
  assert.equal(
    rules.check(req({ requestPath: '/v1/devices' })),
    `${who}: ${at}: path-identity CN: the request path "/v1/devices" has no segment after the accept path "/v1/devices"`,
  );
  assert.equal(
    rules.check(req({ identity: identity({ subjectAttributes: { O: ['Acme'] } }) })),
    `client 203.0.113.7 (certificate "O=Acme") refused: ${at}: path-identity CN: the certificate has no CN`,
  );
});

test('path-identity from a SAN, and from an attribute with several values', () => {
  const dns = compileAccessRules([constraint({ pathIdentity: 'SAN:DNS' })]);
  assert.equal(dns.check(req({ requestPath: '/v1/devices/device-1.devices.acme.com' })), undefined);
  assert.match(dns.check(req()) ?? '', /path-identity SAN:DNS: the path segment "device-1" is not the certificate's SAN:DNS "device-1.devices.acme.com"$/);
  const ou = compileAccessRules([constraint({ pathIdentity: 'OU' })]);
  const twoOus = identity({ subjectAttributes: { CN: ['x'], OU: ['devices', 'sensors'] } });
  assert.equal(ou.check(req({ identity: twoOus, requestPath: '/v1/devices/sensors' })), undefined);
  assert.match(ou.check(req({ identity: twoOus, requestPath: '/v1/devices/other' })) ?? '', /is not the certificate's OU "devices" or "sensors"$/);
  // Two CNs name two devices: neither URL is taken as its own.
  const cn = compileAccessRules([constraint({ pathIdentity: 'CN' })]);
  const twoCns = identity({ subjectAttributes: { CN: ['device-4', 'admin'] } });
  for (const path of ['/v1/devices/admin', '/v1/devices/device-4']) {
    assert.match(cn.check(req({ identity: twoCns, requestPath: path })) ?? '', /path-identity CN: the certificate holds 2 CN values \("device-4", "admin"\), so which URL is its own cannot be told$/, path);
  }
});

test('path-identity alone needs a verified certificate', () => {
  const rules = compileAccessRules([constraint({ pathIdentity: 'CN' })]);
  assert.match(rules.check(req({ identity: undefined })) ?? '', /no verified client certificate for path-identity$/);
});

test('all conditions of a constraint must hold; each failure is listed', () => {
  const c = constraint({ subjects: ['O=Acme'], sans: ['DNS:*.sensors.acme.com'], fingerprints: [fp1], pathIdentity: 'CN' });
  const rules = compileAccessRules([c]);
  assert.match(rules.check(req()) ?? '', /: client-san: no match for "DNS:\*\.sensors\.acme\.com" \(the certificate has "DNS:device-1\.devices\.acme\.com", "URI:spiffe:\/\/acme\.com\/device\/1"\)$/);
  const reason = rules.check(req({ identity: identity({ sans: [], fingerprint256: 'FF:'.repeat(31) + 'FF' }), requestPath: '/v1/devices/x' })) ?? '';
  assert.match(reason, /: client-san: no match for .*, client-fingerprint: .* is not listed, path-identity CN: the path segment "x"/);
  assert.doesNotMatch(reason, /client-subject/);
});

test('any constraint admits; the reason lists every constraint that failed, in order', () => {
  const a = constraint({ subjects: ['OU=admins'] });
  const b = constraint({ addresses: ['10.0.0.0/8'] });
  const rules = compileAccessRules([a, b]);
  assert.equal(rules.check(req({ address: '10.0.0.1' })), undefined);
  assert.equal(rules.check(req({ identity: identity({ subjectAttributes: { OU: ['admins'] } }) })), undefined);
  assert.equal(
    rules.check(req()),
    `client 203.0.113.7 (certificate "CN=device-1, OU=devices, O=Acme") refused: ` +
      `access-constraint at gateway-config.xml:${a.position.line}:5: client-subject: no match for "OU=admins"; ` +
      `access-constraint at gateway-config.xml:${b.position.line}:5: client-address: 203.0.113.7 is not in 10.0.0.0/8`,
  );
});

test('the reason stays on one line whatever the certificate, the path or the address holds', () => {
  const rules = compileAccessRules([constraint({ pathIdentity: 'CN', sans: ['DNS:x'] })]);
  const evil = identity({
    subject: 'CN=a\nOU=b\r\nINJECTED=1',
    subjectAttributes: { CN: ['a\nb'] },
    sans: [{ type: 'DNS', value: 'x\ny' }],
  });
  const reason = rules.check(req({ identity: evil, address: 'not\nan-address', requestPath: '/v1/devices/%0Aline' })) ?? '';
  assert.ok(reason.length > 0);
  assert.doesNotMatch(reason, /[\r\n]/);
  assert.match(reason, /^client "not\\nan-address" \(certificate "CN=a, OU=b, INJECTED=1"\)/);
  assert.match(reason, /the path segment "\\nline" is not the certificate's CN "a\\nb"/);
});

test('a constraint without any condition is refused at load', () => {
  const c = constraint({});
  assert.throws(
    () => compileAccessRules([constraint({ subjects: ['O=Acme'] }), c]),
    (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_CONFIG_MISSING' && e.position === c.position,
  );
});

test('every bad value is found at load, with the constraint\'s position', () => {
  const cases: [Partial<AccessConstraint>, RegExp][] = [
    [{ subjects: ['O=Acme', 'OU'] }, /<client-subject> "OU" is not valid/],
    [{ sans: ['X400:x'] }, /<client-san> "X400:x" names an unknown kind/],
    [{ fingerprints: ['AB:CD'] }, /<client-fingerprint> "AB:CD" is not a SHA-256 fingerprint/],
    [{ addresses: ['10.0.0.0/33'] }, /<client-address> "10.0.0.0\/33" is not an IP address or CIDR block/],
    [{ pathIdentity: 'SAN:FOO' }, /<path-identity> "SAN:FOO" names an unknown SAN kind/],
  ];
  for (const [c, why] of cases) {
    const full = constraint(c);
    assert.throws(
      () => compileAccessRules([full]),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_CONFIG_VALUE' && e.position === full.position && why.test(e.message),
      why.source,
    );
  }
});

test('property: a constraint holds exactly when each of its conditions holds alone', () => {
  // Conditions drawn from a small set whose outcome for the fixed request below is known.
  const subject = fc.constantFrom(['OU=devices'], ['OU=admins'], ['OU=admins', 'CN=device-*']);
  const san = fc.constantFrom(['DNS:*.devices.acme.com'], ['DNS:*.acme.com'], ['URI:spiffe://*', 'EMAIL:x']);
  const fps = fc.constantFrom([fp1], ['00'.repeat(32)]);
  const addr = fc.constantFrom(['203.0.113.0/24'], ['10.0.0.0/8', '::ffff:203.0.113.7']);
  const path = fc.constantFrom('CN', 'OU', 'SAN:URI');
  const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  fc.assert(
    fc.property(opt(subject), opt(san), opt(fps), opt(addr), opt(path), fc.boolean(), (s, n, f, a, p, withCert) => {
      const parts: Partial<AccessConstraint>[] = [];
      if (s) parts.push({ subjects: s });
      if (n) parts.push({ sans: n });
      if (f) parts.push({ fingerprints: f });
      if (a) parts.push({ addresses: a });
      if (p) parts.push({ pathIdentity: p });
      fc.pre(parts.length > 0);
      const r = req({ identity: withCert ? identity() : undefined });
      const whole = compileAccessRules([constraint(Object.assign({}, ...parts))]).check(r) === undefined;
      const each = parts.every((part) => compileAccessRules([constraint(part)]).check(r) === undefined);
      assert.equal(whole, each);
      // and any-of across constraints
      const any = compileAccessRules(parts.map((part) => constraint(part))).check(r) === undefined;
      assert.equal(any, parts.some((part) => compileAccessRules([constraint(part)]).check(r) === undefined));
    }),
    { numRuns: 500 },
  );
});
