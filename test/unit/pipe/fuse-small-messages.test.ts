/**
 * A flood of tiny messages from a WebSocket is bounded by `maximum.pending.bytes` as a flood of large ones is: the
 * frame reader stops at the next frame when the pipe pauses it (frame-reader.ts, holdReading), not at the end of the
 * read it is in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { Duplex } from 'node:stream';
import { StreamEnd, WebSocketEnd } from '../../../src/pipe/ends.js';
import { FRAMES_PAST_HOLD, readFramesInPlace } from '../../../src/pipe/frame-reader.js';
import { fuse } from '../../../src/pipe/fuse.js';
import { WRITE_OVERHEAD_BYTES } from '../../../src/pipe/pending.js';
import { WAIT_MS, event, nextTurn, turnsUntil, withDeadline } from '../../helpers/deadline.js';
import { wsPair } from '../../helpers/ws-rig.js';

// What Gateway.start does.
assert.equal(readFramesInPlace(), undefined);

test('a backend that takes nothing: a read full of one-byte messages stops near maximumPendingBytes, not at the end of the read', async (t) => {
  const pair = await wsPair();
  t.after(async () => {
    pair.client.terminate();
    await pair.close();
  });
  // A backend whose writes never complete until the test completes them: the kernel buffers nothing for it.
  const completions: (() => void)[] = [];
  const received: Buffer[] = [];
  const stalled = new Duplex({
    read() {},
    writev(chunks, cb) {
      for (const { chunk } of chunks) received.push(chunk as Buffer);
      completions.push(() => cb());
    },
    write(chunk: Buffer, _encoding, cb) {
      received.push(chunk);
      completions.push(() => cb());
    },
    // A FIN answered with its own.
    final(cb) {
      this.push(null);
      cb();
    },
  });
  const max = 64_000;
  const result = fuse(new WebSocketEnd(pair.serverWs), new StreamEnd(stalled), { maximumPendingBytes: max });
  const count = 9000;
  const frame = Buffer.from([0x82, 0x81, 1, 2, 3, 4, 0x55 ^ 1]);
  // Written by hand in one write: 63,000 bytes, one read of the gateway's.
  (pair.client as unknown as { _socket: net.Socket })._socket.write(Buffer.concat(Array.from({ length: count }, () => frame)));
  await withDeadline(
    (async () => {
      while (!pair.serverWs.isPaused) await event(pair.serverSocket, 'pause');
    })(),
    WAIT_MS,
    'the pipe to pause the client',
  );
  // Turns in which a reader that read on after the pause (a run of 1,024 frames a turn) would have read the rest.
  for (let turn = 0; turn < 30; turn++) await nextTurn();
  // The limit's worth, and the frames a held reader still reads.
  const bound = Math.ceil(max / (1 + WRITE_OVERHEAD_BYTES)) + FRAMES_PAST_HOLD;
  assert.ok(stalled.writableLength <= bound, `${stalled.writableLength} one-byte messages queued for a backend that takes nothing (bound ${bound})`);
  // Taken, a little at a time: the rest of the read then goes on, every message once, in order.
  await turnsUntil(() => {
    for (const complete of completions.splice(0)) complete();
    return received.reduce((n, b) => n + b.length, 0) === count;
  }, 'every message to reach the backend');
  assert.ok(Buffer.concat(received).equals(Buffer.alloc(count, 0x55)));
  for (const complete of completions.splice(0)) complete();
  pair.client.close(1000);
  const done = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(done.bytesDownstreamToUpstream, count);
});

test("a client's close behind a read of tiny messages is heard while the backend takes nothing, and the pipe ends by its close deadline", async (t) => {
  const pair = await wsPair();
  t.after(async () => {
    pair.client.terminate();
    await pair.close();
  });
  const stalled = new Duplex({ read() {}, write() {}, final(cb) {
    cb();
  } });
  const result = fuse(new WebSocketEnd(pair.serverWs), new StreamEnd(stalled), { maximumPendingBytes: 64_000, closeTimeoutMs: 200 });
  const frame = Buffer.from([0x82, 0x81, 1, 2, 3, 4, 0x55 ^ 1]);
  const close = Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);
  (pair.client as unknown as { _socket: net.Socket })._socket.write(Buffer.concat([...Array.from({ length: 2000 }, () => frame), close]));
  const done = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.match(done.reason, /downstream closed \(1000\)/);
  assert.equal(stalled.destroyed, true, 'the backend that never took what it was sent is let go');
});
