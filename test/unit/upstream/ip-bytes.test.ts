import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockList } from 'node:net';
import fc from 'fast-check';
import { formatIp, ipToBytes, mapIPv4, unmapIPv4 } from '../../../src/upstream/ip-bytes.js';

const hex = (address: string) => ipToBytes(address)?.toString('hex');

test('IPv4 and IPv6 text to bytes', () => {
  assert.equal(hex('192.0.2.1'), 'c0000201');
  assert.equal(hex('::'), '0'.repeat(32));
  assert.equal(hex('::1'), '0'.repeat(31) + '1');
  assert.equal(hex('2001:db8::7'), '20010db8' + '0'.repeat(20) + '0007');
  assert.equal(hex('2001:DB8:0:0:1:0:0:1'), '20010db8000000000001000000000001');
  assert.equal(hex('fe80::'), 'fe80' + '0'.repeat(28));
  assert.equal(hex('::ffff:10.1.2.3'), '00000000000000000000ffff0a010203');
  assert.equal(hex('64:ff9b::192.0.2.33'), '0064ff9b0000000000000000c0000221');
  assert.equal(hex('1:2:3:4:5:6:7.8.9.10'), '000100020003000400050006' + '0708090a');
});

test('not an address: undefined', () => {
  for (const s of ['', 'localhost', '1.2.3', '01.2.3.4', '1::2::3', 'fe80::1%eth0', '[::1]', '::g']) {
    assert.equal(ipToBytes(s), undefined, s);
  }
});

test('RFC 5952 text: lower case, longest zero run compressed, first on a tie, single zero groups kept', () => {
  const fmt = (s: string) => formatIp(ipToBytes(s) as Buffer);
  assert.equal(fmt('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(fmt('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(fmt('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  assert.equal(fmt('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1');
  assert.equal(fmt('0:0:0:0:0:0:0:0'), '::');
  assert.equal(fmt('1:0:0:0:0:0:0:0'), '1::');
  assert.equal(fmt('::ffff:a01:203'), '::ffff:10.1.2.3');
  assert.equal(fmt('10.1.2.3'), '10.1.2.3');
});

test('IPv4-mapped conversions', () => {
  const v4 = ipToBytes('10.1.2.3') as Buffer;
  assert.equal(formatIp(mapIPv4(v4)), '::ffff:10.1.2.3');
  assert.deepEqual(unmapIPv4(mapIPv4(v4)), v4);
  assert.equal(unmapIPv4(ipToBytes('::10.1.2.3') as Buffer), undefined);
});

test('property: bytes → text → bytes is the identity, and the text is the same address to Node', () => {
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (address) => {
      const bytes = ipToBytes(address);
      assert.ok(bytes, address);
      const text = formatIp(bytes);
      assert.deepEqual(ipToBytes(text), bytes);
      const list = new BlockList();
      const type = bytes.length === 4 ? 'ipv4' : 'ipv6';
      list.addAddress(address, type);
      assert.ok(list.check(text, type), `${address} → ${text}`);
    }),
    { numRuns: 2000 },
  );
});
