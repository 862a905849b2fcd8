import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/errors.js';
import { compileAddressList } from '../../../src/auth/cidr.js';

const pos = { file: 'gateway-config.xml', line: 3 };
const list = (...values: string[]) => compileAddressList(values, '<client-address>', pos);

test('IPv4 blocks and single addresses', () => {
  const l = list('10.0.0.0/8', '192.0.2.7');
  assert.equal(l.contains('10.255.1.2'), true);
  assert.equal(l.contains('11.0.0.1'), false);
  assert.equal(l.contains('192.0.2.7'), true);
  assert.equal(l.contains('192.0.2.8'), false);
  assert.deepEqual(l.entries, ['10.0.0.0/8', '192.0.2.7']);
});

test('a block written with host bits set means its network; /0 and /32 are allowed', () => {
  assert.equal(list('10.1.2.3/8').contains('10.9.9.9'), true);
  assert.equal(list('0.0.0.0/0').contains('203.0.113.1'), true);
  assert.equal(list('203.0.113.1/32').contains('203.0.113.1'), true);
  assert.equal(list('203.0.113.1/32').contains('203.0.113.2'), false);
});

test('IPv6 blocks and addresses, in any textual form', () => {
  const l = list('2001:db8::/32', '::1');
  assert.equal(l.contains('2001:db8:1::7'), true);
  assert.equal(l.contains('2001:DB8:0:0:0:0:0:1'), true);
  assert.equal(l.contains('2001:db9::1'), false);
  assert.equal(l.contains('0:0:0:0:0:0:0:1'), true);
  assert.equal(l.contains('::2'), false);
});

test('IPv4-mapped IPv6 clients (dual-stack sockets) match IPv4 rules, and IPv4 clients match ::ffff: rules', () => {
  const v4 = list('10.0.0.0/8', '192.0.2.7');
  assert.equal(v4.contains('::ffff:10.1.2.3'), true);
  assert.equal(v4.contains('::ffff:a01:203'), true);
  assert.equal(v4.contains('::FFFF:192.0.2.7'), true);
  assert.equal(v4.contains('::ffff:11.1.2.3'), false);
  const mapped = list('::ffff:10.0.0.0/104');
  assert.equal(mapped.contains('10.1.2.3'), true);
  assert.equal(mapped.contains('11.1.2.3'), false);
});

test('IPv4 rules do not match unrelated IPv6 addresses that embed the same bits', () => {
  const v4 = list('10.0.0.0/8');
  assert.equal(v4.contains('::10.1.2.3'), false);
  assert.equal(v4.contains('64:ff9b::10.1.2.3'), false);
});

test('a client address with a zone index matches by address', () => {
  assert.equal(list('fe80::/10').contains('fe80::1%eth0'), true);
});

test('something that is not an address never matches', () => {
  const l = list('0.0.0.0/0', '::/0');
  assert.equal(l.contains(''), false);
  assert.equal(l.contains('localhost'), false);
  assert.equal(l.contains('10.0.0.1:80'), false);
});

test('a bad entry is a GW_ERR_CONFIG_VALUE naming it', () => {
  const bad: [string, RegExp][] = [
    ['10.0.0.0/33', /prefix length "33" is not a number from 0 to 32/],
    ['2001:db8::/129', /from 0 to 128/],
    ['10.0.0.0/', /prefix length "" /],
    ['10.0.0.0/8/8', /prefix length "8\/8"/],
    ['10.0.0.0/-1', /prefix length "-1"/],
    ['10.0.0/8', /"10.0.0" is not an IPv4 or IPv6 address/],
    ['256.1.1.1', /not an IPv4 or IPv6 address/],
    ['010.1.1.1', /not an IPv4 or IPv6 address/],
    ['example.com', /not an IPv4 or IPv6 address/],
    ['fe80::1%eth0', /zone index/],
    ['[::1]', /without brackets/],
    ['', /"" is not an IPv4/],
    // BlockList would read these as ::/8 and ::/0, every IPv4 client included.
    ['::ffff:10.0.0.0/8', /prefix \/8 of the IPv4-mapped address ::ffff:10\.0\.0\.0 is shorter than its 96 mapping bits.*write 10\.0\.0\.0\/8 \(or ::ffff:10\.0\.0\.0\/104\)/],
    ['::FFFF:a00:0/0', /shorter than its 96 mapping bits.*write the IPv4 block itself/],
  ];
  for (const [text, why] of bad) {
    assert.throws(
      () => list('10.0.0.0/8', text),
      (e: unknown) =>
        e instanceof GatewayError &&
        e.code === 'GW_ERR_CONFIG_VALUE' &&
        e.position === pos &&
        e.message.startsWith(`<client-address> "${text}" is not an IP address or CIDR block: `) &&
        why.test(e.message),
      text,
    );
  }
});

test('the element name given is the one messages use', () => {
  assert.throws(() => compileAddressList(['x'], 'tcp.proxy-protocol.trusted'), /^GatewayError: tcp\.proxy-protocol\.trusted "x"/);
});
