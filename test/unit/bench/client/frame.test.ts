import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  acceptKey,
  checkUpgradeResponse,
  closeFrame,
  encodeFrame,
  FrameReader,
  OPCODE,
  upgradeRequest,
} from '../../../../bench/client/frame.js';

function collect() {
  const data: Buffer[] = [];
  const controls: { opcode: number; payload: Buffer }[] = [];
  const reader = new FrameReader({ data: (c) => data.push(Buffer.from(c)), control: (opcode, payload) => controls.push({ opcode, payload }) });
  return { reader, data: () => Buffer.concat(data), controls };
}

/** An unmasked frame as a server sends it. */
function serverFrame(payload: Buffer, opcode: number = OPCODE.binary): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (len >= 126 && len < 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

test('encodeFrame uses the 7-bit, 16-bit and 64-bit length forms and sets the mask bit', () => {
  const mask = Buffer.from([1, 2, 3, 4]);
  for (const [len, headerLen, code] of [
    [0, 2, 0],
    [125, 2, 125],
    [126, 4, 126],
    [65535, 4, 126],
    [65536, 10, 127],
  ] as const) {
    const frame = encodeFrame(Buffer.alloc(len, 0x55), OPCODE.binary, mask);
    assert.equal(frame.length, headerLen + 4 + len, `length ${len}`);
    assert.equal(frame[0], 0x82);
    assert.equal((frame[1] as number) & 0x80, 0x80);
    assert.equal((frame[1] as number) & 0x7f, code);
    assert.deepEqual(frame.subarray(headerLen, headerLen + 4), mask);
    if (len > 0) assert.equal(frame[headerLen + 4], 0x55 ^ 1);
  }
});

test('what encodeFrame masks, FrameReader unmasks, however the bytes are cut', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 70000 }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 20 }),
      (payloads, cuts) => {
        const wire = Buffer.concat(payloads.map((p) => encodeFrame(Buffer.from(p))));
        const { reader, data } = collect();
        let at = 0;
        for (let i = 0; at < wire.length; i++) {
          const n = cuts[i % cuts.length] as number;
          reader.push(wire.subarray(at, at + n));
          at += n;
        }
        assert.deepEqual(data(), Buffer.concat(payloads.map((p) => Buffer.from(p))));
      },
    ),
    { numRuns: 60 },
  );
});

test('unmasked server frames of every length form, fed one byte at a time', () => {
  const payloads = [Buffer.alloc(0), Buffer.alloc(125, 1), Buffer.alloc(126, 2), Buffer.alloc(70000, 3)];
  const wire = Buffer.concat(payloads.map((p) => serverFrame(p)));
  const { reader, data } = collect();
  for (let i = 0; i < wire.length; i++) reader.push(wire.subarray(i, i + 1));
  assert.deepEqual(data(), Buffer.concat(payloads));
});

test('control frames come whole and apart from the data, even between data frames', () => {
  const ping = serverFrame(Buffer.from('hi'), OPCODE.ping);
  const wire = Buffer.concat([serverFrame(Buffer.from('abc')), ping, serverFrame(Buffer.from('def')), closeFrame(1001)]);
  const { reader, data, controls } = collect();
  reader.push(wire.subarray(0, 6));
  reader.push(wire.subarray(6));
  assert.equal(data().toString(), 'abcdef');
  assert.equal(controls.length, 2);
  assert.equal(controls[0]?.opcode, OPCODE.ping);
  assert.equal(controls[0]?.payload.toString(), 'hi');
  assert.equal(controls[1]?.opcode, OPCODE.close);
  assert.equal(controls[1]?.payload.readUInt16BE(0), 1001);
});

test('the RFC 6455 §1.3 example key gives its accept value', () => {
  assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('an upgrade request names the host, path, key and version', () => {
  const req = upgradeRequest('127.0.0.1:8443', '/bench', 'k');
  assert.match(req, /^GET \/bench HTTP\/1\.1\r\n/);
  assert.match(req, /\r\nHost: 127\.0\.0\.1:8443\r\n/);
  assert.match(req, /\r\nSec-WebSocket-Key: k\r\n/);
  assert.match(req, /\r\nSec-WebSocket-Version: 13\r\n\r\n$/);
});

test('checkUpgradeResponse accepts 101 with the right accept header (any case) and refuses the rest', () => {
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';
  checkUpgradeResponse('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=', key);
  assert.throws(() => checkUpgradeResponse('HTTP/1.1 404 Not Found\r\nContent-Length: 0', key), /upgrade refused: "HTTP\/1\.1 404 Not Found"/);
  assert.throws(() => checkUpgradeResponse('HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: nope', key), /wrong Sec-WebSocket-Accept: "nope"/);
  assert.throws(() => checkUpgradeResponse('HTTP/1.1 101 Switching Protocols', key), /\(none\)/);
});
