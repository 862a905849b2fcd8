import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ws from 'ws';
import { closeReason, describeWsError, errorName, wsErrorStatus } from '../../../src/pipe/close.js';
import { WAIT_MS, withDeadline } from '../../helpers/deadline.js';

test('closeReason keeps short reasons and cuts long ones to 123 bytes on a character boundary', () => {
  assert.equal(closeReason('upstream closed'), 'upstream closed');
  assert.equal(Buffer.byteLength(closeReason('a'.repeat(300))), 123);
  const cut = closeReason('é'.repeat(100)); // two bytes each
  assert.equal(Buffer.byteLength(cut), 122);
  assert.equal(cut, 'é'.repeat(61));
  assert.equal(closeReason('€'.repeat(41)), '€'.repeat(41), 'exactly 123 bytes is kept');
});

test('errorName prefers the code, then the message', () => {
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
  assert.equal(errorName(reset), 'ECONNRESET');
  assert.equal(errorName(new Error('boom')), 'boom');
  assert.equal(errorName('text'), 'text');
});

// ws exports its frame parser (wrapper.mjs) but @types/ws does not declare it.
interface FrameParser extends NodeJS.EventEmitter {
  write(chunk: Buffer): boolean;
}
const Receiver = (ws as unknown as { Receiver: new (options: { isServer: boolean; maxPayload: number }) => FrameParser })
  .Receiver;

/** Feeds raw frames to ws's own parser and returns the error it raises. */
function parserError(frame: Buffer, maxPayload = 0): Promise<Error> {
  const receiver = new Receiver({ isServer: true, maxPayload });
  const failed = new Promise<Error>((resolve) => receiver.on('error', resolve));
  receiver.write(frame);
  return withDeadline(failed, WAIT_MS, "the frame parser's error");
}

test('wsErrorStatus reads the close code ws attaches to its own protocol errors', async () => {
  const mask = Buffer.from([1, 2, 3, 4]);
  // A masked binary frame announcing 200 bytes, over a 100-byte limit.
  const tooBig = await parserError(Buffer.concat([Buffer.from([0x82, 0x80 | 126, 0, 200]), mask]), 100);
  assert.equal(wsErrorStatus(tooBig), 1009);
  assert.equal(describeWsError(tooBig, 1009), 'message too big (1009)');
  // Opcode 0x3 is reserved.
  const badOpcode = await parserError(Buffer.concat([Buffer.from([0x83, 0x80]), mask]));
  assert.equal(wsErrorStatus(badOpcode), 1002);
  assert.match(describeWsError(badOpcode, 1002), /^protocol error \(1002\): Invalid WebSocket frame: invalid opcode 3/);
});

test('wsErrorStatus falls back on the public error code, then on 1002', () => {
  assert.equal(wsErrorStatus(Object.assign(new Error('x'), { code: 'WS_ERR_INVALID_UTF8' })), 1007);
  assert.equal(wsErrorStatus(Object.assign(new RangeError('x'), { code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' })), 1009);
  assert.equal(wsErrorStatus(new Error('unknown')), 1002);
  assert.equal(wsErrorStatus(undefined), 1002);
  assert.equal(describeWsError(new Error('x'), 1007), 'invalid UTF-8 (1007)');
});
