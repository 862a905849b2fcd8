import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockList, isIP } from 'node:net';
import fc from 'fast-check';
import pp from 'proxy-protocol-js';
import { GatewayError } from '../../../src/errors.js';
import {
  encodeProxyV1,
  encodeProxyV2,
  parseProxyHeader,
  PROXY_V1_MAX_LENGTH,
  PROXY_V2_MAX_LENGTH,
  type ProxyHeaderInfo,
} from '../../../src/upstream/proxy-protocol.js';
import { crc32c } from '../../../src/upstream/crc32c.js';

const SIG = '0d0a0d0a000d0a515549540a';
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** TLVs as the specification (section 2.2) lays them out, decoded here without the gateway's code. */
function specTlvs(bytes: Uint8Array): { type: number; value: Buffer }[] {
  const out: { type: number; value: Buffer }[] = [];
  const b = Buffer.from(bytes);
  for (let at = 0; at < b.length; ) {
    const len = (b[at + 1]! << 8) | b[at + 2]!;
    out.push({ type: b[at]!, value: b.subarray(at + 3, at + 3 + len) });
    at += 3 + len;
  }
  return out;
}

function assertGatewayError(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GatewayError, `not a GatewayError: ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  });
}

const device: ProxyHeaderInfo = {
  sourceAddress: '203.0.113.7',
  sourcePort: 51000,
  destinationAddress: '192.0.2.1',
  destinationPort: 443,
  ssl: { presented: true, verified: true, version: 'TLSv1.3', cn: 'device-1' },
  authority: 'gw.acme.com',
};

// ── v1 ──────────────────────────────────────────────────────────────────────────────────────────────────────

test('v1: TCP4, TCP6, and mixed families as TCP6 with the IPv4 side mapped', () => {
  assert.equal(encodeProxyV1(device).toString('latin1'), 'PROXY TCP4 203.0.113.7 192.0.2.1 51000 443\r\n');
  assert.equal(
    encodeProxyV1({ ...device, sourceAddress: '2001:DB8:0:0:0:0:0:7', destinationAddress: '::1' }).toString('latin1'),
    'PROXY TCP6 2001:db8::7 ::1 51000 443\r\n',
  );
  assert.equal(
    encodeProxyV1({ ...device, destinationAddress: '2001:db8::1' }).toString('latin1'),
    'PROXY TCP6 ::ffff:203.0.113.7 2001:db8::1 51000 443\r\n',
  );
  // What a dual-stack socket reports for IPv4 peers is written as plain IPv4.
  assert.equal(
    encodeProxyV1({ ...device, sourceAddress: '::ffff:203.0.113.7', destinationAddress: '::ffff:192.0.2.1' }).toString('latin1'),
    'PROXY TCP4 203.0.113.7 192.0.2.1 51000 443\r\n',
  );
});

test('v1: proxy-protocol-js decodes our headers to the same addresses and ports', () => {
  for (const info of [device, { ...device, sourceAddress: '2001:db8::7', destinationAddress: 'fe80::1', sourcePort: 0, destinationPort: 65535 }]) {
    const parsed = pp.V1ProxyProtocol.parse(encodeProxyV1(info).toString('latin1') + 'GET / HTTP/1.1\r\n');
    assert.equal(parsed.source.ipAddress, info.sourceAddress);
    assert.equal(parsed.source.port, info.sourcePort);
    assert.equal(parsed.destination.ipAddress, info.destinationAddress);
    assert.equal(parsed.destination.port, info.destinationPort);
    assert.equal(parsed.data, 'GET / HTTP/1.1\r\n');
  }
});

test('v1: headers built by proxy-protocol-js parse to the same endpoints; the bytes after are not consumed', () => {
  const text = new pp.V1ProxyProtocol(pp.INETProtocol.TCP6, new pp.Peer('2001:db8::7', 1234), new pp.Peer('2001:db8::1', 443)).build();
  const buf = Buffer.from(text + 'payload', 'latin1');
  assert.deepEqual(parseProxyHeader(buf, 'v1'), {
    info: { sourceAddress: '2001:db8::7', sourcePort: 1234, destinationAddress: '2001:db8::1', destinationPort: 443 },
    length: text.length,
  });
});

test('v1: UNKNOWN means use the connection\'s own addresses; the rest of its line is skipped', () => {
  assert.deepEqual(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\nx'), 'v1'), { info: 'local', length: 15 });
  assert.deepEqual(parseProxyHeader(Buffer.from('PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n'), 'v1'), { info: 'local', length: 35 });
});

test('v1: every strict prefix of a header is incomplete; the header is read whole', () => {
  const h = Buffer.from('PROXY TCP4 10.1.2.3 192.0.2.1 5 443\r\n');
  for (let n = 0; n < h.length; n++) assert.equal(parseProxyHeader(h.subarray(0, n), 'v1'), 'incomplete', `prefix of ${n}`);
  assert.deepEqual(parseProxyHeader(h, 'v1'), {
    info: { sourceAddress: '10.1.2.3', sourcePort: 5, destinationAddress: '192.0.2.1', destinationPort: 443 },
    length: h.length,
  });
});

test('v1: the longest legal header (107 bytes) is accepted, one byte more is refused', () => {
  const a = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
  // The specification's worst case: UNKNOWN with the longest IPv6 addresses and ports.
  const longest = Buffer.from(`PROXY UNKNOWN ${a} ${a} 65535 65535\r\n`);
  assert.equal(longest.length, PROXY_V1_MAX_LENGTH);
  assert.deepEqual(parseProxyHeader(longest, 'v1'), { info: 'local', length: 107 });
  const tcp6 = Buffer.from(`PROXY TCP6 ${a} ${a} 65535 65535\r\n`);
  assert.equal((parseProxyHeader(tcp6, 'v1') as { length: number }).length, 104);
  const tooLong = Buffer.from(`PROXY UNKNOWN ${'x'.repeat(100)}\r\n`);
  assertGatewayError(() => parseProxyHeader(tooLong, 'v1'), 'GW_ERR_PROXY_PROTOCOL', /no CRLF within the first 107 bytes/);
  // Refused as soon as 107 bytes are in, without waiting for more.
  assertGatewayError(() => parseProxyHeader(tooLong.subarray(0, 107), 'v1'), 'GW_ERR_PROXY_PROTOCOL', /no CRLF/);
  assert.equal(parseProxyHeader(tooLong.subarray(0, 106), 'v1'), 'incomplete');
});

test('v1: malformed headers are refused with what was wrong', () => {
  const cases: [string, RegExp][] = [
    ['GET / HTTP/1.1\r\n', /the connection starts with "GET \/ HTTP\/1.1\\r\\n", not a PROXY v1 signature \(it looks like an HTTP request without a PROXY header\)/],
    ['\x16\x03\x01', /not a PROXY v1 signature \(it looks like a TLS handshake/],
    ['\r\n\r\n\x00\r\nQUIT\n', /\(it looks like a v2 header: set tcp.proxy-protocol to v2\)/],
    ['proxy TCP4', /not a PROXY v1 signature/],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n', /ends with LF alone/],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rx', /CR is not followed by LF/],
    ['PROXY TCP4 1.2.3.4\t5.6.7.8', /byte 0x09 at offset 18 is not printable ASCII/],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n', /does not have the six fields/],
    ['PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n', /does not have the six fields/],
    ['PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n', /the protocol "UDP4" is not TCP4, TCP6 or UNKNOWN/],
    ['PROXY TCP4 ::1 5.6.7.8 1 2\r\n', /"::1" is not an IPv4 address/],
    ['PROXY TCP6 1.2.3.4 ::1 1 2\r\n', /"1.2.3.4" is not an IPv6 address/],
    ['PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n', /"fe80::1%eth0" is not an IPv6 address/],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n', /"65536" is not a port from 0 to 65535/],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1 -2\r\n', /"-2" is not a port/],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1 0x10\r\n', /"0x10" is not a port/],
  ];
  for (const [text, why] of cases) {
    assertGatewayError(() => parseProxyHeader(Buffer.from(text, 'latin1'), 'v1'), 'GW_ERR_PROXY_PROTOCOL', why);
  }
  assertGatewayError(() => parseProxyHeader(Buffer.from('G'), 'v1'), 'GW_ERR_PROXY_PROTOCOL', /^malformed PROXY protocol v1 header: /);
});

// ── v2 ──────────────────────────────────────────────────────────────────────────────────────────────────────

test('v2: the exact bytes for IPv4 with authority and SSL TLVs', () => {
  assert.equal(
    encodeProxyV2(device).toString('hex'),
    SIG +
      '21' + '11' + '0037' + // v2 PROXY, INET STREAM, 55 bytes follow
      'cb007107' + 'c0000201' + 'c738' + '01bb' + // 203.0.113.7 → 192.0.2.1, 51000 → 443
      '02' + '000b' + Buffer.from('gw.acme.com').toString('hex') + // PP2_TYPE_AUTHORITY
      '20' + '001a' + '07' + '00000000' + // PP2_TYPE_SSL: CLIENT_SSL|CERT_CONN|CERT_SESS, verify 0
      '21' + '0007' + Buffer.from('TLSv1.3').toString('hex') + // PP2_SUBTYPE_SSL_VERSION
      '22' + '0008' + Buffer.from('device-1').toString('hex'), // PP2_SUBTYPE_SSL_CN
  );
});

test('v2: no certificate, or one that did not verify, is CLIENT_SSL with a non-zero verify', () => {
  const none = encodeProxyV2({ ...device, authority: undefined, ssl: { presented: false, verified: false } });
  assert.equal(none.subarray(28).toString('hex'), '20' + '0005' + '01' + '00000001');
  const failed = encodeProxyV2({ ...device, authority: undefined, ssl: { presented: true, verified: false } });
  assert.equal(failed.subarray(28).toString('hex'), '20' + '0005' + '07' + '00000001');
  const plain = encodeProxyV2({ ...device, authority: undefined, ssl: undefined });
  assert.equal(plain.length, 28);
});

test('v2: proxy-protocol-js decodes our headers to the same addresses and ports, and the TLVs follow the spec', () => {
  const v4 = pp.V2ProxyProtocol.parse(encodeProxyV2(device));
  assert.equal(v4.command, pp.Command.PROXY);
  assert.equal(v4.transportProtocol, pp.TransportProtocol.STREAM);
  assert.equal(v4.addressFamilyType, pp.AddressFamilyType.INET);
  const a4 = v4.proxyAddress as InstanceType<typeof pp.IPv4ProxyAddress>;
  assert.deepEqual(a4.sourceAddress.address, [203, 0, 113, 7]);
  assert.equal(a4.sourcePort, 51000);
  assert.deepEqual(a4.destinationAddress.address, [192, 0, 2, 1]);
  assert.equal(a4.destinationPort, 443);
  // proxy-protocol-js does not decode TLVs: it hands back the bytes after the addresses, walked here by the spec.
  const tlvs = specTlvs(v4.data ?? new Uint8Array());
  assert.deepEqual(tlvs.map((t) => t.type), [0x02, 0x20]);
  assert.equal(tlvs[0]!.value.toString('utf8'), 'gw.acme.com');
  const ssl = tlvs[1]!.value;
  assert.equal(ssl[0], 0x07);
  assert.equal(ssl.readUInt32BE(1), 0);
  const subs = specTlvs(ssl.subarray(5));
  assert.deepEqual(subs.map((t) => [t.type, t.value.toString('utf8')]), [[0x21, 'TLSv1.3'], [0x22, 'device-1']]);

  const v6 = pp.V2ProxyProtocol.parse(encodeProxyV2({ ...device, sourceAddress: '2001:db8::7', ssl: undefined, authority: undefined }));
  assert.equal(v6.addressFamilyType, pp.AddressFamilyType.INET6);
  const a6 = v6.proxyAddress as InstanceType<typeof pp.IPv6ProxyAddress>;
  assert.equal(hexOf(Uint8Array.from(a6.sourceAddress.address)), '20010db8' + '0'.repeat(23) + '7');
  assert.equal(hexOf(Uint8Array.from(a6.destinationAddress.address)), '0'.repeat(20) + 'ffff' + 'c0000201');
  assert.equal(a6.sourcePort, 51000);
  assert.equal(a6.destinationPort, 443);
  assert.equal(v6.data?.length, 0);
});

test('v2: headers built by proxy-protocol-js parse to the same endpoints; LOCAL is local', () => {
  const v4 = new pp.V2ProxyProtocol(
    pp.Command.PROXY,
    pp.TransportProtocol.STREAM,
    new pp.IPv4ProxyAddress(pp.IPv4Address.createFrom([10, 1, 2, 3]), 12345, pp.IPv4Address.createFrom([192, 0, 2, 1]), 443),
  ).build();
  // proxy-protocol-js puts `data` after the header (its length field does not count it): the client's stream.
  const withPayload = Buffer.concat([Buffer.from(v4), Buffer.from('hello')]);
  assert.deepEqual(parseProxyHeader(withPayload, 'v2'), {
    info: { sourceAddress: '10.1.2.3', sourcePort: 12345, destinationAddress: '192.0.2.1', destinationPort: 443 },
    length: 28,
  });
  const v6 = new pp.V2ProxyProtocol(
    pp.Command.PROXY,
    pp.TransportProtocol.STREAM,
    new pp.IPv6ProxyAddress(
      pp.IPv6Address.createFrom([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7]),
      1,
      pp.IPv6Address.createFrom([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1]),
      2,
    ),
  ).build();
  assert.deepEqual(parseProxyHeader(Buffer.from(v6), 'v2'), {
    info: { sourceAddress: '2001:db8::7', sourcePort: 1, destinationAddress: '::ffff:10.0.0.1', destinationPort: 2 },
    length: 52,
  });
  const local = new pp.V2ProxyProtocol(
    pp.Command.LOCAL,
    pp.TransportProtocol.UNSPEC,
    new pp.UnspecProxyAddress(),
  ).build();
  assert.deepEqual(parseProxyHeader(Buffer.from(local), 'v2'), { info: 'local', length: 16 });
});

/** A v2 header from its parts: version/command byte, family/transport byte, and the body after the length. */
function v2(verCmd: number, famProto: number, body: Buffer, length = body.length): Buffer {
  const fixed = Buffer.alloc(4);
  fixed[0] = verCmd;
  fixed[1] = famProto;
  fixed.writeUInt16BE(length, 2);
  return Buffer.concat([Buffer.from(SIG, 'hex'), fixed, body]);
}
const ipv4Body = Buffer.from('0a010203c0000201303901bb', 'hex'); // 10.1.2.3:12345 → 192.0.2.1:443
const tlvBytes = (type: number, value: Buffer) => Buffer.concat([Buffer.from([type, value.length >> 8, value.length & 0xff]), value]);
const endpoints = { sourceAddress: '10.1.2.3', sourcePort: 12345, destinationAddress: '192.0.2.1', destinationPort: 443 };

test('v2: LOCAL ignores its addresses and TLVs; AF_UNSPEC and AF_UNIX mean the connection\'s own addresses', () => {
  assert.deepEqual(parseProxyHeader(v2(0x20, 0x11, Buffer.concat([ipv4Body, Buffer.from('ffff', 'hex')])), 'v2'), { info: 'local', length: 30 });
  assert.deepEqual(parseProxyHeader(v2(0x21, 0x00, Buffer.alloc(0)), 'v2'), { info: 'local', length: 16 });
  // An unspecified block is ignored, whatever it holds (here bytes that are no TLV).
  assert.deepEqual(parseProxyHeader(v2(0x21, 0x00, Buffer.from('0100ff', 'hex')), 'v2'), { info: 'local', length: 19 });
  assert.deepEqual(parseProxyHeader(v2(0x21, 0x31, Buffer.alloc(216)), 'v2'), { info: 'local', length: 232 });
  assert.deepEqual(parseProxyHeader(v2(0x21, 0x10, ipv4Body), 'v2'), { info: 'local', length: 28 });
});

test('v2: every strict prefix is incomplete', () => {
  const h = encodeProxyV2(device);
  for (let n = 0; n < h.length; n++) assert.equal(parseProxyHeader(h.subarray(0, n), 'v2'), 'incomplete', `prefix of ${n}`);
});

test('v2: unknown TLVs are skipped; a proxy\'s "verify 0" without a certificate is not verified; no CLIENT_SSL, no ssl', () => {
  const body = Buffer.concat([
    ipv4Body,
    tlvBytes(0x01, Buffer.from('h2')), // ALPN
    tlvBytes(0x04, Buffer.alloc(3)), // NOOP
    tlvBytes(0xea, Buffer.from('vpce-0123')), // AWS
    tlvBytes(0x20, Buffer.concat([Buffer.from('0100000000', 'hex'), tlvBytes(0x23, Buffer.from('AES')), tlvBytes(0x21, Buffer.from('TLSv1.2'))])),
  ]);
  assert.deepEqual(parseProxyHeader(v2(0x21, 0x11, body), 'v2'), {
    info: { ...endpoints, ssl: { presented: false, verified: false, version: 'TLSv1.2' } },
    length: 16 + body.length,
  });
  const notTls = Buffer.concat([ipv4Body, tlvBytes(0x20, Buffer.from('0600000000', 'hex'))]);
  assert.deepEqual(parseProxyHeader(v2(0x21, 0x11, notTls), 'v2'), { info: endpoints, length: 16 + notTls.length });
  const sessionOnly = Buffer.concat([ipv4Body, tlvBytes(0x20, Buffer.from('0500000000', 'hex'))]);
  assert.deepEqual((parseProxyHeader(v2(0x21, 0x11, sessionOnly), 'v2') as { info: ProxyHeaderInfo }).info.ssl, { presented: true, verified: true });
});

test('v2: a CRC32C TLV is checked over the whole header', () => {
  const body = Buffer.concat([ipv4Body, tlvBytes(0x02, Buffer.from('gw')), tlvBytes(0x03, Buffer.alloc(4))]);
  const header = v2(0x21, 0x11, body);
  header.writeUInt32BE(crc32c(header), header.length - 4);
  assert.deepEqual(parseProxyHeader(header, 'v2'), { info: { ...endpoints, authority: 'gw' }, length: header.length });
  header[20] = 0x0b; // another source address
  assertGatewayError(() => parseProxyHeader(header, 'v2'), 'GW_ERR_PROXY_PROTOCOL', /its CRC32C checksum is 0x[0-9a-f]{8} but the header sums to 0x[0-9a-f]{8}/);
});

test('v2: malformed headers are refused with what was wrong', () => {
  const cases: [Buffer, RegExp][] = [
    [Buffer.from('PROXY TCP4 '), /not a PROXY v2 signature \(it looks like a v1 header: set tcp.proxy-protocol to v1\)/],
    [Buffer.from('0d0a0d0a000d0a5155495420', 'hex'), /not a PROXY v2 signature/],
    [Buffer.from('0d0a0d0b', 'hex'), /not a PROXY v2 signature/],
    [v2(0x11, 0x11, ipv4Body), /the version is 1, not 2/],
    [v2(0x22, 0x11, ipv4Body), /the command 0x2 is neither LOCAL nor PROXY/],
    [v2(0x21, 0x41, ipv4Body), /the address family 0x4 is unknown/],
    [v2(0x21, 0x13, ipv4Body), /the transport protocol 0x3 is unknown/],
    [v2(0x21, 0x12, ipv4Body), /UDP \(DGRAM\) connection, not a stream/],
    [v2(0x21, 0x11, ipv4Body.subarray(0, 11)), /its length 11 is too short for the 12 bytes of its addresses/],
    [v2(0x21, 0x21, Buffer.concat([ipv4Body, ipv4Body])), /its length 24 is too short for the 36 bytes/],
    [v2(0x21, 0x11, Buffer.concat([ipv4Body, Buffer.from('0200', 'hex')])), /2 stray byte\(s\) at the end of the header/],
    [v2(0x21, 0x11, Buffer.concat([ipv4Body, Buffer.from('020005616263', 'hex')])), /a TLV of type 0x2 in the header claims 5 bytes, more than are left/],
    [v2(0x21, 0x11, Buffer.concat([ipv4Body, tlvBytes(0x20, Buffer.from('07000000', 'hex'))])), /the SSL TLV holds 4 bytes, fewer than its 5-byte fixed part/],
    [v2(0x21, 0x11, Buffer.concat([ipv4Body, tlvBytes(0x20, Buffer.from('070000000022', 'hex'))])), /1 stray byte\(s\) at the end of the SSL TLV/],
    [v2(0x21, 0x11, Buffer.concat([ipv4Body, tlvBytes(0x02, Buffer.from('a')), tlvBytes(0x02, Buffer.from('b'))])), /the TLV of type 0x2 appears twice/],
    [v2(0x21, 0x11, Buffer.concat([ipv4Body, tlvBytes(0x02, Buffer.from('c3', 'hex'))])), /the authority \(PP2_TYPE_AUTHORITY\) is not UTF-8/],
    [v2(0x21, 0x11, Buffer.concat([ipv4Body, tlvBytes(0x20, Buffer.concat([Buffer.from('0700000000', 'hex'), tlvBytes(0x22, Buffer.from('ff', 'hex'))]))])), /certificate CN \(PP2_SUBTYPE_SSL_CN\) is not UTF-8/],
    [v2(0x21, 0x11, Buffer.concat([ipv4Body, tlvBytes(0x03, Buffer.alloc(2))])), /the CRC32C TLV holds 2 bytes, not 4/],
  ];
  for (const [buf, why] of cases) {
    assertGatewayError(() => parseProxyHeader(buf, 'v2'), 'GW_ERR_PROXY_PROTOCOL', why);
  }
});

test('v2: a length field above the cap is refused from the 16-byte prefix alone, never buffered', () => {
  const prefix = v2(0x21, 0x11, Buffer.alloc(0), PROXY_V2_MAX_LENGTH - 16 + 1);
  assert.equal(prefix.length, 16);
  assertGatewayError(() => parseProxyHeader(prefix, 'v2'), 'GW_ERR_PROXY_PROTOCOL', new RegExp(`its length ${PROXY_V2_MAX_LENGTH + 1} is more than the ${PROXY_V2_MAX_LENGTH} bytes accepted`));
  const atCap = v2(0x21, 0x11, Buffer.concat([ipv4Body, tlvBytes(0x04, Buffer.alloc(PROXY_V2_MAX_LENGTH - 16 - 12 - 3))]));
  assert.equal(atCap.length, PROXY_V2_MAX_LENGTH);
  assert.deepEqual(parseProxyHeader(atCap, 'v2'), { info: endpoints, length: PROXY_V2_MAX_LENGTH });
});

test('encoding refuses what a header cannot carry', () => {
  assertGatewayError(() => encodeProxyV1({ ...device, sourceAddress: 'undefined' }), 'GW_ERR_PROXY_PROTOCOL_ENCODE', /the source address "undefined" is not an IP address/);
  assertGatewayError(() => encodeProxyV2({ ...device, destinationAddress: 'fe80::1%eth0' }), 'GW_ERR_PROXY_PROTOCOL_ENCODE', /the destination address "fe80::1%eth0"/);
  assertGatewayError(() => encodeProxyV2({ ...device, sourcePort: 65536 }), 'GW_ERR_PROXY_PROTOCOL_ENCODE', /the source port 65536 is not from 0 to 65535/);
  assertGatewayError(() => encodeProxyV1({ ...device, destinationPort: 1.5 }), 'GW_ERR_PROXY_PROTOCOL_ENCODE', /the destination port 1.5/);
  assertGatewayError(
    () => encodeProxyV2({ ...device, ssl: { presented: true, verified: true, cn: 'x'.repeat(70000) } }),
    'GW_ERR_PROXY_PROTOCOL_ENCODE',
    /a TLV of type 0x22 would be 70000 bytes/,
  );
});

// ── properties ──────────────────────────────────────────────────────────────────────────────────────────────

const anyAddress = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4().map((a) => `::ffff:${a}`));
const port = fc.integer({ min: 0, max: 65535 });
const infoArb: fc.Arbitrary<ProxyHeaderInfo> = fc
  .record({
    sourceAddress: anyAddress,
    sourcePort: port,
    destinationAddress: anyAddress,
    destinationPort: port,
    ssl: fc.option(
      fc
        .record({ presented: fc.boolean(), verified: fc.boolean(), version: fc.option(fc.string(), { nil: undefined }), cn: fc.option(fc.string({ unit: 'grapheme' }), { nil: undefined }) })
        .map(({ presented, verified, version, cn }) => ({
          presented,
          verified: presented && verified,
          ...(version === undefined ? {} : { version }),
          ...(cn === undefined ? {} : { cn }),
        })),
      { nil: undefined },
    ),
    authority: fc.option(fc.domain(), { nil: undefined }),
  })
  .map(({ ssl, authority, ...rest }) => ({ ...rest, ...(ssl === undefined ? {} : { ssl }), ...(authority === undefined ? {} : { authority }) }));

const isV4ish = (a: string) => isIP(a) === 4 || /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(a);
/** The same host to Node (BlockList equates IPv4 and its IPv4-mapped form). */
function sameAddress(a: string, b: string): boolean {
  const list = new BlockList();
  list.addAddress(a, isIP(a) === 4 ? 'ipv4' : 'ipv6');
  return list.check(b, isIP(b) === 4 ? 'ipv4' : 'ipv6');
}

for (const version of ['v1', 'v2'] as const) {
  test(`property ${version}: encode → parse gives back the endpoints${version === 'v2' ? ' and TLVs' : ''}, an IPv4 header exactly when both ends are IPv4`, () => {
    fc.assert(
      fc.property(infoArb, fc.uint8Array({ maxLength: 32 }), (info, trailer) => {
        const header = version === 'v1' ? encodeProxyV1(info) : encodeProxyV2(info);
        const parsed = parseProxyHeader(Buffer.concat([header, trailer]), version);
        assert.ok(parsed !== 'incomplete' && parsed.info !== 'local');
        assert.equal(parsed.length, header.length);
        const out = parsed.info;
        const bothV4 = isV4ish(info.sourceAddress) && isV4ish(info.destinationAddress);
        assert.equal(isIP(out.sourceAddress) === 4, bothV4);
        assert.equal(isIP(out.destinationAddress) === 4, bothV4);
        assert.ok(sameAddress(info.sourceAddress, out.sourceAddress), `${info.sourceAddress} → ${out.sourceAddress}`);
        assert.ok(sameAddress(info.destinationAddress, out.destinationAddress));
        assert.equal(out.sourcePort, info.sourcePort);
        assert.equal(out.destinationPort, info.destinationPort);
        if (version === 'v2') {
          assert.deepEqual(out.ssl, info.ssl);
          assert.equal(out.authority, info.authority);
        } else {
          assert.equal(out.ssl, undefined);
          assert.equal(out.authority, undefined);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test(`property ${version}: on any bytes the parser returns or throws a GatewayError, and reads nothing past the header`, () => {
    const valid = infoArb.map((i) => (version === 'v1' ? encodeProxyV1(i) : encodeProxyV2(i)));
    // Random bytes rarely get past the signature, so mostly start from a valid header and damage it.
    const damaged = fc
      .tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }), fc.option(fc.nat(), { nil: undefined }), fc.uint8Array({ maxLength: 64 }))
      .map(([h, edits, cut, tail]) => {
        const b = Buffer.from(h);
        for (const [at, value] of edits) if (b.length > 0) b[at % b.length] = value;
        return Buffer.concat([cut === undefined ? b : b.subarray(0, cut % (b.length + 1)), tail]);
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)), damaged), fc.uint8Array({ maxLength: 16 }), (buf, more) => {
        let result: ReturnType<typeof parseProxyHeader>;
        try {
          result = parseProxyHeader(buf, version);
        } catch (e) {
          assert.ok(e instanceof GatewayError, `threw ${String(e)}`);
          assert.equal(e.code, 'GW_ERR_PROXY_PROTOCOL');
          return;
        }
        if (result === 'incomplete') {
          assert.ok(buf.length < (version === 'v1' ? PROXY_V1_MAX_LENGTH : PROXY_V2_MAX_LENGTH));
          return;
        }
        assert.ok(result.length <= buf.length);
        const header = buf.subarray(0, result.length);
        assert.deepEqual(parseProxyHeader(header, version), result);
        assert.deepEqual(parseProxyHeader(Buffer.concat([header, more]), version), result);
      }),
      { numRuns: 3000 },
    );
  });
}
