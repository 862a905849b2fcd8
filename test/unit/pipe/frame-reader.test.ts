import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as ws from 'ws';

type Method = (...args: never[]) => unknown;
interface Reader {
  _write(chunk: Buffer, encoding: string, cb: (err?: Error | null) => void): void;
  on(event: string, listener: (...args: never[]) => void): void;
  [name: string]: unknown;
}
type ReaderClass = { prototype: Record<string, Method> } & (new (options: object) => Reader);

const Receiver = (ws as unknown as { Receiver: ReaderClass }).Receiver;
const REPLACED = ['consume', 'getInfo', 'getPayloadLength16', 'getMask'] as const;
// ws's own methods, taken before the module below replaces them on the prototype.
const own = Object.fromEntries(REPLACED.map((name) => [name, Receiver.prototype[name]]));
const { readFramesInPlace } = await import('../../../src/pipe/frame-reader.js');
const installed = readFramesInPlace();

interface Frame {
  readonly fin: boolean;
  readonly rsv: number;
  readonly opcode: number;
  readonly masked: boolean;
  readonly mask: Buffer;
  readonly payload: Buffer;
}

function encode(f: Frame): Buffer {
  const n = f.payload.length;
  const head = [((f.fin ? 0x80 : 0) | (f.rsv << 4) | f.opcode) & 0xff];
  const maskBit = f.masked ? 0x80 : 0;
  if (n < 126) head.push(maskBit | n);
  else if (n < 65536) head.push(maskBit | 126, n >> 8, n & 0xff);
  else head.push(maskBit | 127, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  const body = Buffer.from(f.payload);
  if (f.masked) for (let i = 0; i < n; i++) body[i] = (body[i] as number) ^ (f.mask[i & 3] as number);
  return Buffer.concat([Buffer.from(head), f.masked ? f.mask : Buffer.alloc(0), body]);
}

/** What a reader reports for `chunks`, fed to it one at a time as a socket would. */
function read(chunks: readonly Buffer[], original: boolean, maxPayload: number): string[] {
  const reader = new Receiver({ isServer: true, maxPayload });
  // An instance's own properties hide the prototype's: this reader runs ws's methods as they came.
  if (original) for (const name of REPLACED) reader[name] = own[name];
  const seen: string[] = [];
  reader.on('message', (data: Buffer, binary: boolean) => seen.push(`message ${binary} ${Buffer.from(data).toString('hex')}`));
  reader.on('ping', (data: Buffer) => seen.push(`ping ${data.toString('hex')}`));
  reader.on('pong', (data: Buffer) => seen.push(`pong ${data.toString('hex')}`));
  reader.on('conclude', (code: number, reason: Buffer) => seen.push(`conclude ${code} ${reason.toString('hex')}`));
  // ws unmasks a payload where it lies, in the chunk: every reading gets chunks of its own.
  for (const chunk of chunks.map((c) => Buffer.from(c))) {
    let failed: Error | null | undefined;
    reader._write(chunk, 'buffer', (err) => (failed = err));
    if (failed) {
      seen.push(`error ${(failed as { code?: string }).code} ${failed.message}`);
      break;
    }
  }
  return seen;
}

function cut(bytes: Buffer, at: readonly number[]): Buffer[] {
  const points = [...new Set(at.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p > from) chunks.push(Buffer.from(bytes.subarray(from, p)));
    from = Math.max(from, p);
  }
  return chunks;
}

const payload = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 140 }) },
  { weight: 2, arbitrary: fc.integer({ min: 120, max: 700 }).map((n) => new Uint8Array(n).map((_, i) => i * 7)) },
  { weight: 1, arbitrary: fc.constantFrom(125, 126, 127, 65535, 65536, 70001).map((n) => new Uint8Array(n).map((_, i) => i)) },
);

const frame: fc.Arbitrary<Frame> = fc.record({
  fin: fc.boolean(),
  // Mostly valid: data, continuation and control frames; now and then reserved bits, a reserved opcode, no mask.
  rsv: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }) }),
  opcode: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(0, 1, 2, 2, 2, 9, 10) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
  masked: fc.oneof({ weight: 12, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  mask: fc.uint8Array({ minLength: 4, maxLength: 4 }).map((m) => Buffer.from(m)),
  payload: payload.map((p) => Buffer.from(p)),
});

/** Text frames whose payload is UTF-8 are sometimes made valid, so that text messages get through too. */
function textReadable(f: Frame): Frame {
  return f.opcode === 1 ? { ...f, payload: Buffer.from(f.payload.toString('latin1').replace(/[^\x20-\x7e]/g, 'x')) } : f;
}

test('the installed ws has the frame reader these methods are written for', () => {
  assert.equal(installed, true);
  assert.equal(readFramesInPlace(), true);
  for (const name of REPLACED) assert.notEqual(Receiver.prototype[name], own[name], `${name} is replaced`);
});

test('a stream of frames cut anywhere reads as ws reads it: the same messages, control frames and errors', () => {
  fc.assert(
    fc.property(
      fc.array(frame.map(textReadable), { minLength: 1, maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      fc.constantFrom(0, 200, 66000),
      (frames, at, maxPayload) => {
        const chunks = cut(Buffer.concat(frames.map(encode)), at);
        assert.deepEqual(read(chunks, false, maxPayload), read(chunks, true, maxPayload));
      },
    ),
    { numRuns: 400 },
  );
});

test('every place a 16-bit length or a masking key can be cut reads the same as whole', () => {
  const frames: Frame[] = [
    { fin: true, rsv: 0, opcode: 2, masked: true, mask: Buffer.from([1, 2, 3, 4]), payload: Buffer.alloc(130, 9) },
    { fin: true, rsv: 0, opcode: 9, masked: true, mask: Buffer.from([5, 6, 7, 8]), payload: Buffer.from('hi') },
    { fin: false, rsv: 0, opcode: 1, masked: true, mask: Buffer.from([0, 0, 0, 0]), payload: Buffer.from('ab') },
    { fin: true, rsv: 0, opcode: 0, masked: true, mask: Buffer.from([9, 9, 9, 9]), payload: Buffer.alloc(300, 0x61) },
    { fin: true, rsv: 0, opcode: 8, masked: true, mask: Buffer.from([4, 3, 2, 1]), payload: Buffer.from([0x03, 0xe8, 0x62]) },
  ];
  const bytes = Buffer.concat(frames.map(encode));
  const whole = read([bytes], true, 0);
  assert.deepEqual(whole.map((e) => e.split(' ')[0]), ['message', 'ping', 'message', 'conclude']);
  for (let i = 0; i <= bytes.length; i++) {
    for (const j of [i + 1, i + 2, i + 3, i + 5]) {
      const chunks = cut(bytes, [i, j]);
      assert.deepEqual(read(chunks, false, 0), whole, `cut at ${i} and ${j}`);
    }
  }
});
