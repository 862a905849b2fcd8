import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/errors.js';
import { parseDataSize, parseTimeInterval } from '../../../src/config/index.js';
import { parseAddressBlock, parseAddressList, parseBind, parseCiphers, parseEnum, parseNonNegativeInteger, parseProtocols, parseSeconds, parseTimeout } from '../../../src/config/grammar.js';

function throwsValue(fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GatewayError);
    assert.equal(e.code, 'GW_ERR_CONFIG_VALUE');
    if (message) assert.match(e.message, message);
    return true;
  });
}

test('data size: digits with an optional k or m (×1024), any case', () => {
  assert.equal(parseDataSize('64000'), 64000);
  assert.equal(parseDataSize('128k'), 131072);
  assert.equal(parseDataSize('128K'), 131072);
  assert.equal(parseDataSize('2m'), 2 * 1024 * 1024);
  assert.equal(parseDataSize('1M'), 1048576);
  assert.equal(parseDataSize(' 0 '), 0);
});

test('data size: 128kB, negative, fractional, units with spaces and empty text are refused', () => {
  for (const bad of ['128kB', '-1', '1.5k', '12 k', '', 'k', '1g', '0x10']) throwsValue(() => parseDataSize(bad), /Invalid data size/);
  throwsValue(() => parseDataSize('99999999999999999999m'), /too large/);
});

test('time interval: Kaazing\'s units ms, s, m, h, d, w, y and their long forms, any case, optional space; bare = seconds', () => {
  const cases: [string, number][] = [
    ['30', 30_000],
    ['0', 0],
    ['1500ms', 1500],
    ['1500 MS', 1500],
    ['10s', 10_000],
    ['10 sec', 10_000],
    ['10secs', 10_000],
    ['1 second', 1000],
    ['2 Seconds', 2000],
    ['5m', 300_000],
    ['5min', 300_000],
    ['5 mins', 300_000],
    ['1 minute', 60_000],
    ['2 minutes', 120_000],
    ['1h', 3_600_000],
    ['2 hours', 7_200_000],
    ['1 HOUR', 3_600_000],
    ['1.5s', 1500],
    ['20 milli', 20],
    ['1d', 86_400_000],
    ['10 days', 864_000_000],
    ['2w', 1_209_600_000],
    ['1 week', 604_800_000],
    ['1y', 31_536_000_000],
    ['2 Years', 63_072_000_000],
  ];
  for (const [text, ms] of cases) assert.equal(parseTimeInterval(text), ms, text);
});

test('time interval: unknown units and malformed numbers are refused', () => {
  for (const bad of ['10 fortnights', '5 yr', '-1s', 's', '', '1,5s', '10 s s']) throwsValue(() => parseTimeInterval(bad), /Invalid time interval/);
});

test('whole seconds and non-negative integers', () => {
  assert.equal(parseSeconds('90'), 90);
  assert.equal(parseSeconds('2m'), 120);
  throwsValue(() => parseSeconds('1500ms'), /whole number of seconds/);
  assert.equal(parseNonNegativeInteger('0'), 0);
  throwsValue(() => parseNonNegativeInteger('-3'));
  throwsValue(() => parseNonNegativeInteger('2.5'));
});

test('enums are case-insensitive, return the canonical spelling and list the allowed values when wrong', () => {
  assert.equal(parseEnum('Required', ['none', 'optional', 'required'], 'ssl.verify-client'), 'required');
  throwsValue(() => parseEnum('yes', ['none', 'optional', 'required'], 'ssl.verify-client'), /allowed values are none, optional, required/);
});

test('binds: port, host:port, [v6]:port; a bare port means 0.0.0.0', () => {
  assert.deepEqual(parseBind('8080'), { host: '0.0.0.0', port: 8080 });
  assert.deepEqual(parseBind('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(parseBind('Gateway.Example.com:443'), { host: 'gateway.example.com', port: 443 });
  assert.deepEqual(parseBind('[::1]:8080'), { host: '::1', port: 8080 });
  assert.deepEqual(parseBind('0'), { host: '0.0.0.0', port: 0 });
  for (const bad of ['65536', 'host:', ':80', 'host:port', '::1:8080', 'a b:80', '']) throwsValue(() => parseBind(bad));
});

test('ssl.protocols: TLSv1 to TLSv1.3, canonical spelling, de-duplicated; SSLv3 and SSLv2Hello refused by name', () => {
  assert.deepEqual(parseProtocols('TLSv1.2, tlsv1.3'), ['TLSv1.2', 'TLSv1.3']);
  assert.deepEqual(parseProtocols('TLSv1,TLSv1.1,TLSv1.2,TLSv1.2'), ['TLSv1', 'TLSv1.1', 'TLSv1.2']);
  throwsValue(() => parseProtocols('SSLv3,TLSv1.2'), /SSLv3/);
  throwsValue(() => parseProtocols('SSLv2Hello'), /SSLv2Hello/);
  throwsValue(() => parseProtocols('TLSv1.4'), /unknown protocol "TLSv1.4".*TLSv1, TLSv1.1, TLSv1.2, TLSv1.3/);
  throwsValue(() => parseProtocols(' , '), /empty/);
});

test('ssl.ciphers: kept as written, no empty entries, DEFAULT only first', () => {
  assert.equal(parseCiphers('HIGH, MEDIUM,!ADH'), 'HIGH,MEDIUM,!ADH');
  assert.equal(parseCiphers('DEFAULT,!RC4'), 'DEFAULT,!RC4');
  throwsValue(() => parseCiphers('HIGH,,MEDIUM'), /empty entry/);
  throwsValue(() => parseCiphers('HIGH,DEFAULT'), /DEFAULT may only be the first/);
});

test('address blocks: IPv4 and IPv6 addresses and CIDR blocks, as written', () => {
  for (const ok of ['10.1.2.3', '10.0.0.0/8', '0.0.0.0/0', '2001:db8::7', '2001:db8::/32', '::/0', '::ffff:10.0.0.0/104', ' 192.0.2.0/24 ']) {
    assert.equal(parseAddressBlock(ok, '<client-address>'), ok.trim());
  }
  throwsValue(() => parseAddressBlock('10.0.0.0/33', '<x>'), /<x> "10.0.0.0\/33": the prefix length "33" is not a number from 0 to 32/);
  throwsValue(() => parseAddressBlock('2001:db8::/129', '<x>'), /from 0 to 128/);
  throwsValue(() => parseAddressBlock('10.0.0.0/', '<x>'), /the prefix length "" is not a number/);
  throwsValue(() => parseAddressBlock('10.0.0.0/-1', '<x>'), /prefix length "-1"/);
  throwsValue(() => parseAddressBlock('lb.example.com', '<x>'), /"lb.example.com" is not an IP address or CIDR block/);
  throwsValue(() => parseAddressBlock('[::1]', '<x>'), /without brackets/);
  throwsValue(() => parseAddressBlock('fe80::1%eth0', '<x>'), /zone index/);
});

test('address lists: separated by commas and/or white space; empty is refused', () => {
  assert.deepEqual(parseAddressList('10.0.0.0/8, 192.168.1.10\n  2001:db8::/32', '<x>'), ['10.0.0.0/8', '192.168.1.10', '2001:db8::/32']);
  assert.deepEqual(parseAddressList('10.0.0.1,10.0.0.2', '<x>'), ['10.0.0.1', '10.0.0.2']);
  throwsValue(() => parseAddressList(' , ', '<x>'), /<x> is empty/);
  throwsValue(() => parseAddressList('10.0.0.1, nope', '<x>'), /"nope" is not an IP address/);
});

test('a time interval the gateway waits out with a timer is at most 2^31-1 ms (24.8 days), which a Node timer keeps', () => {
  assert.equal(parseTimeout('24 days'), 2_073_600_000);
  assert.equal(parseTimeout(`${2 ** 31 - 1}ms`), 2 ** 31 - 1);
  throwsValue(() => parseTimeout(`${2 ** 31}ms`), /^Time interval "2147483648ms" is longer than the longest timeout the gateway keeps, 24 days$/);
  throwsValue(() => parseTimeout('720h'), /longer than the longest timeout/);
});
