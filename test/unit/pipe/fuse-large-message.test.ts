/**
 * A large binary message from a WebSocket to a byte stream goes on as it arrives (frame-reader.ts,
 * streamBinaryPayloads), so the pipe never holds it whole; to a WebSocket it goes on as one message, as it came.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { StreamEnd, WebSocketEnd } from '../../../src/pipe/ends.js';
import { readFramesInPlace, STREAM_FROM_BYTES } from '../../../src/pipe/frame-reader.js';
import { fuse } from '../../../src/pipe/fuse.js';
import { WAIT_MS, withDeadline } from '../../helpers/deadline.js';
import { backend, connectBackend, readBytes, receive, wsPair } from '../../helpers/ws-rig.js';

// What Gateway.start does.
assert.equal(readFramesInPlace(), undefined);

const KEY = Buffer.from([0xa1, 0xb2, 0xc3, 0xd4]);

/** The head of a masked, final binary frame of `length` bytes (64-bit length form). */
function head(length: number): Buffer {
  const h = Buffer.alloc(14);
  h[0] = 0x82;
  h[1] = 0x80 | 127;
  h.writeBigUInt64BE(BigInt(length), 2);
  KEY.copy(h, 10);
  return h;
}

/** `payload` masked as it would be from offset 0 of the frame's payload. */
function masked(payload: Buffer): Buffer {
  return Buffer.from(payload.map((b, i) => b ^ (KEY[i & 3] as number)));
}

test('WebSocket to byte stream: the first part of a 1 MiB binary frame reaches the backend before the rest is sent', async (t) => {
  const pair = await wsPair();
  const b = await backend();
  const { upstream, peer } = await connectBackend(b);
  t.after(async () => {
    // A failed test may leave them open, and the servers wait for their connections to close.
    pair.client.terminate();
    peer.destroy();
    await pair.close();
    await b.close();
  });
  const result = fuse(new WebSocketEnd(pair.serverWs), new StreamEnd(upstream), { maximumPendingBytes: 64_000 });
  const payload = Buffer.from(Array.from({ length: 1024 * 1024 }, (_, i) => (i * 7 + (i >> 10)) & 0xff));
  const wire = masked(payload);
  // The frame written by hand on the client's socket: ws's own client would send it whole.
  const clientSocket = (pair.client as unknown as { _socket: net.Socket })._socket;
  const first = 256 * 1024;
  clientSocket.write(Buffer.concat([head(payload.length), wire.subarray(0, first)]));
  const all = readBytes(peer, payload.length);
  // At most STREAM_FROM_BYTES of what was sent may still be held, waiting for more.
  const early = first - STREAM_FROM_BYTES;
  let arrived = 0;
  await withDeadline(
    new Promise<void>((resolve) => {
      const onData = (chunk: Buffer): void => {
        arrived += chunk.length;
        if (arrived < early) return;
        peer.removeListener('data', onData);
        resolve();
      };
      peer.on('data', onData);
    }),
    WAIT_MS,
    `${early} bytes at the backend before the rest of the frame is sent`,
  );
  clientSocket.write(wire.subarray(first));
  assert.deepEqual(await all, payload);
  pair.client.close(1000);
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(r.bytesDownstreamToUpstream, payload.length);
  assert.equal(r.closedBy, 'downstream');
});

test('WebSocket to WebSocket: a 1 MiB binary message goes on as one message', async (t) => {
  const front = await wsPair();
  const back = await wsPair();
  t.after(async () => {
    front.client.terminate();
    back.serverWs.terminate();
    await front.close();
    await back.close();
  });
  const result = fuse(new WebSocketEnd(front.serverWs), new WebSocketEnd(back.client), { maximumPendingBytes: 64_000 });
  const { received, until } = receive(back.serverWs);
  const payload = Buffer.alloc(1024 * 1024, 0x5a);
  front.client.send(payload);
  await until(payload.length);
  assert.equal(received.messages, 1);
  assert.deepEqual(Buffer.concat(received.chunks), payload);
  front.client.close(1000);
  await withDeadline(result, WAIT_MS, 'the pipe to finish');
});
