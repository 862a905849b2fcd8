import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/errors.js';
import { parseSanPattern, sanMatches } from '../../../src/auth/san.js';
import type { SubjectAltName } from '../../../src/auth/types.js';

const pos = { file: 'gateway-config.xml', line: 9 };
const sans: SubjectAltName[] = [
  { type: 'DNS', value: 'Device-1.Devices.acme.com' },
  { type: 'URI', value: 'spiffe://acme.com/device/1' },
  { type: 'EMAIL', value: 'Ops@acme.com' },
  { type: 'IP', value: '10.1.2.3' },
  { type: 'IP', value: '2001:DB8:0:0:0:0:0:7' },
];
const matches = (pattern: string, s = sans) => sanMatches(parseSanPattern(pattern, pos), s);

test('DNS: case-insensitive, a * covers one label', () => {
  assert.equal(matches('DNS:device-1.devices.acme.com'), true);
  assert.equal(matches('DNS:*.devices.acme.com'), true);
  assert.equal(matches('DNS:*.acme.com'), false);
  assert.equal(matches('DNS:*.*.acme.com'), true);
  assert.equal(matches('DNS:device-*.DEVICES.acme.com'), true);
  assert.equal(matches('DNS:devices.acme.com'), false);
});

test('URI (SPIFFE IDs): exact, * for any characters', () => {
  assert.equal(matches('URI:spiffe://acme.com/device/1'), true);
  assert.equal(matches('URI:spiffe://acme.com/device/*'), true);
  assert.equal(matches('URI:spiffe://acme.com/*'), true);
  assert.equal(matches('URI:spiffe://ACME.com/device/1'), false);
  assert.equal(matches('URI:spiffe://acme.com/device/2'), false);
});

test('EMAIL: exact, with wildcards', () => {
  assert.equal(matches('EMAIL:Ops@acme.com'), true);
  assert.equal(matches('EMAIL:ops@acme.com'), false);
  assert.equal(matches('EMAIL:*@acme.com'), true);
});

test('IP: an address or CIDR block, in any textual form, IPv4-mapped included', () => {
  assert.equal(matches('IP:10.0.0.0/8'), true);
  assert.equal(matches('IP:10.1.2.3'), true);
  assert.equal(matches('IP:10.1.2.4'), false);
  assert.equal(matches('IP:2001:db8::7'), true);
  assert.equal(matches('IP:2001:db8::/32'), true);
  assert.equal(matches('IP:::ffff:10.1.2.3'), true);
});

test('the kind must match: a DNS pattern never matches a URI SAN that has the same text', () => {
  assert.equal(matches('DNS:spiffe://acme.com/device/1'), false);
  assert.equal(matches('URI:device-1.devices.acme.com'), false);
});

test('the kind prefix is case-insensitive; spaces around the value are ignored', () => {
  assert.equal(matches('dns: *.devices.acme.com '), true);
  assert.equal(matches('Uri:spiffe://acme.com/device/1'), true);
});

test('no SAN of the kind: no match', () => {
  assert.equal(matches('DNS:*', []), false);
  assert.equal(matches('IP:0.0.0.0/0', [{ type: 'DNS', value: 'x' }]), false);
});

test('bad patterns are GW_ERR_CONFIG_VALUE naming the value', () => {
  const bad: [string, RegExp][] = [
    ['*.devices.acme.com', /does not start with a kind/],
    ['DNSNAME:x', /unknown kind "DNSNAME"/],
    ['IP Address:10.0.0.1', /unknown kind "IP Address"/],
    ['DNS:', /has no value after "DNS:"/],
    ['IP:10.*', /IP: "10.\*" is not an IP address or CIDR block/],
    ['IP:10.0.0.0/40', /prefix length "40"/],
  ];
  for (const [text, why] of bad) {
    assert.throws(
      () => parseSanPattern(text, pos),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_CONFIG_VALUE' && e.position === pos && why.test(e.message),
      text,
    );
  }
});
