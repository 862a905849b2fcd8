import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameReader } from '../../../bench/client/frame.js';
import { encodeFrameSpec, encodeProxyV2, encodeRequest, framesArb, mutate, proxyArb, upgradeArb, validUpgradeHeaders } from '../../../soak/fuzz-inputs.js';
import { parseProxyHeader } from '../../../src/upstream/proxy-protocol.js';

test('mutations take positions modulo the length and never change the input', () => {
  const base = Buffer.from('abcdef');
  assert.equal(mutate(base, [{ kind: 'set', at: 7, value: 0x7e }]).toString(), 'a~cdef');
  assert.equal(mutate(base, [{ kind: 'flip', at: 0, bit: 5 }]).toString(), 'Abcdef');
  assert.equal(mutate(base, [{ kind: 'truncate', at: 3 }]).toString(), 'abc');
  assert.equal(mutate(base, [{ kind: 'insert', at: 2, bytes: Uint8Array.from([0x2d]) }]).toString(), 'ab-cdef');
  assert.equal(mutate(base, [{ kind: 'delete', at: 1, count: 2 }]).toString(), 'adef');
  assert.equal(mutate(base, [{ kind: 'repeat', from: 4, count: 5 }]).toString(), 'abcdefef');
  assert.equal(mutate(Buffer.alloc(0), [{ kind: 'flip', at: 3, bit: 1 }, { kind: 'truncate', at: 9 }]).length, 0);
  assert.equal(base.toString(), 'abcdef');
});

test('an unmutated frame is what RFC 6455 says: a client frame the load client reads back', () => {
  const payload = Uint8Array.from(Buffer.from('hello'));
  const wire = encodeFrameSpec({ fin: true, rsv: 0, opcode: 0x2, masked: true, payload, lengthForm: 'minimal', mask: Uint8Array.from([1, 2, 3, 4]) });
  assert.equal(wire.length, 2 + 4 + 5);
  assert.equal(wire[0], 0x82);
  assert.equal(wire[1], 0x80 | 5);
  const got: Buffer[] = [];
  new FrameReader({ data: (c) => got.push(Buffer.from(c)), control: () => undefined }).push(wire);
  assert.equal(Buffer.concat(got).toString(), 'hello');
  const long = encodeFrameSpec({ fin: false, rsv: 4, opcode: 0x1, masked: false, payload, lengthForm: '64', mask: new Uint8Array(4) });
  assert.deepEqual([...long.subarray(0, 10)], [0x41, 127, 0, 0, 0, 0, 0, 0, 0, 5], 'a short length spelled in 64 bits, RSV1 set, no FIN');
});

test('an unmutated PROXY v2 header is one the gateway reads', () => {
  const addresses = Uint8Array.from([10, 0, 0, 1, 10, 0, 0, 2, 0x04, 0xd2, 0x00, 0x50]);
  const header = encodeProxyV2({ versionCommand: 0x21, family: 0x11, addresses, tlvs: [{ type: 0x04, value: new Uint8Array(3) }] });
  const parsed = parseProxyHeader(header, 'v2');
  assert.notEqual(parsed, 'incomplete');
  if (parsed === 'incomplete' || parsed.info === 'local') throw new Error('expected addresses');
  assert.equal(parsed.length, header.length);
  assert.equal(parsed.info.sourceAddress, '10.0.0.1');
  assert.equal(parsed.info.destinationPort, 80);
});

test('a valid upgrade request, spelled out', () => {
  const text = encodeRequest({ method: 'GET', path: '/echo', version: 'HTTP/1.1', headers: validUpgradeHeaders('a2V5'), eol: '\r\n' }).toString();
  assert.equal(
    text,
    'GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: a2V5\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
});

test('one seed, the same inputs: a run can be repeated exactly', () => {
  for (const arb of [framesArb, upgradeArb, proxyArb]) {
    const a = fc.sample(arb, { seed: 7, numRuns: 20 });
    const b = fc.sample(arb, { seed: 7, numRuns: 20 });
    assert.deepEqual(a, b);
  }
});

test('PROXY inputs end with an upgrade request, whatever happened to the header', () => {
  for (const input of fc.sample(proxyArb, { seed: 3, numRuns: 50 })) assert.match(input.toString('latin1'), /GET \/echo HTTP\/1\.1\r\n[\s\S]*\r\n\r\n$/);
});
