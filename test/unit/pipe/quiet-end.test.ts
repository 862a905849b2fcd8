import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, Socket, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { quietRepeatedEnds } from '../../../src/pipe/quiet-end.js';
import { WebSocketEnd } from '../../../src/pipe/ends.js';
import { WAIT_MS, event, withDeadline } from '../../helpers/deadline.js';
import { wsPair } from '../../helpers/ws-rig.js';

function recorder(written: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk);
      done();
    },
  });
}

/** Writables where quietRepeatedEnds looks for ws's frame reader and socket. */
function readerOf(): { ws: { _receiver: Writable; _socket: Writable }; reader: Writable; written: Buffer[] } {
  const written: Buffer[] = [];
  const reader = recorder(written);
  return { ws: { _receiver: reader, _socket: recorder([]) }, reader, written };
}

/**
 * Counts the calls on `stream` that reach its class's own `end` while `body` runs: a repeated end that still reaches
 * it is one that still builds the error Node throws away.
 */
async function countingEnds<T>(proto: { end: (...args: never[]) => unknown }, stream: object, body: (reached: () => number) => Promise<T>): Promise<T> {
  const own = proto.end;
  let calls = 0;
  proto.end = function (this: unknown, ...args: never[]) {
    if (this === stream) calls++;
    return own.apply(this, args);
  };
  try {
    return await body(() => calls);
  } finally {
    proto.end = own;
  }
}

function errorOf(end: (cb: (err?: Error | null) => void) => void): Promise<Error | null | undefined> {
  return withDeadline(new Promise((resolve) => end(resolve)), WAIT_MS, "end()'s callback");
}

test('a repeated end() of a finished reader changes nothing, raises nothing and never reaches Node', async () => {
  const { ws, reader } = readerOf();
  assert.equal(quietRepeatedEnds(ws), true);
  let errors = 0;
  reader.on('error', () => errors++);
  await countingEnds(Writable.prototype, reader, async (reached) => {
    reader.end();
    assert.equal(reached(), 1);
    await event(reader, 'finish', 'the reader to finish');
    assert.equal(reader.end(), reader);
    assert.equal(reader.end(), reader);
    assert.equal(reached(), 1);
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(errors, 0);
  assert.equal(reader.writableFinished, true);
});

test('every other end() is Node’s own: its first end, data, callbacks and errors are unchanged', async () => {
  const { ws, reader, written } = readerOf();
  quietRepeatedEnds(ws);
  // The first end, with a last chunk, writes it and finishes.
  reader.end(Buffer.from('last'));
  await event(reader, 'finish', 'the reader to finish');
  assert.deepEqual(written.map(String), ['last']);
  // With a callback, a repeated end still reports what Node reports.
  const late = await errorOf((cb) => reader.end(cb));
  assert.equal((late as NodeJS.ErrnoException | null | undefined)?.code, 'ERR_STREAM_ALREADY_FINISHED');
  // Data after the end is still refused.
  reader.on('error', () => undefined);
  const refused = await errorOf((cb) => reader.end(Buffer.from('more'), cb));
  assert.equal((refused as NodeJS.ErrnoException | null | undefined)?.code, 'ERR_STREAM_WRITE_AFTER_END');
  assert.deepEqual(written.map(String), ['last']);
});

test('an end() of a corked reader is left to Node, which uncorks it', async () => {
  const { ws, reader, written } = readerOf();
  quietRepeatedEnds(ws);
  reader.end(Buffer.from('first'));
  reader.cork();
  assert.equal(reader.writableCorked, 1);
  reader.end();
  assert.equal(reader.writableCorked, 0);
  await event(reader, 'finish', 'the reader to finish');
  assert.deepEqual(written.map(String), ['first']);
});

test('an object without a Writable reader and socket is left alone', () => {
  assert.equal(quietRepeatedEnds({}), false);
  const notWritable = { end: () => undefined };
  const ws = { _receiver: notWritable, _socket: recorder([]) };
  assert.equal(quietRepeatedEnds(ws), false);
  assert.equal(ws._receiver.end, notWritable.end);
});

test('a socket ended twice: the second end() raises nothing and never reaches Node, unless it has a callback', async () => {
  const server = createServer((s) => s.resume().on('end', () => s.end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  try {
    assert.equal(quietRepeatedEnds({ _receiver: recorder([]), _socket: client }), true);
    await event(client, 'connect', 'the client to connect');
    let errors = 0;
    client.on('error', () => errors++);
    client.resume();
    await countingEnds(Socket.prototype, client, async (reached) => {
      client.end();
      assert.equal(reached(), 1);
      await event(client, 'finish', 'the client to finish writing');
      assert.equal(client.end(), client);
      await event(client, 'close', 'the client to close');
      assert.equal(client.end(), client);
      assert.equal(reached(), 1);
      const late = await errorOf((cb) => client.end(cb));
      assert.equal(reached(), 2);
      assert.match(String((late as NodeJS.ErrnoException | null | undefined)?.code), /^ERR_STREAM_(ALREADY_FINISHED|DESTROYED)$/);
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(errors, 0);
  } finally {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('the ws in use still keeps its frame reader and socket where quietRepeatedEnds looks, on both sides', async () => {
  const pair = await wsPair();
  try {
    assert.equal(quietRepeatedEnds(pair.serverWs), true, "ws's server WebSocket has no _receiver or _socket Writable: update quiet-end.ts");
    assert.equal(quietRepeatedEnds(pair.client), true, "ws's client WebSocket has no _receiver or _socket Writable: update quiet-end.ts");
    // A WebSocketEnd installs it: a close handshake then completes as before.
    const end = new WebSocketEnd(pair.serverWs);
    const ended = new Promise<number | undefined>((resolve) =>
      end.attach({ data: () => undefined, ended: (e) => resolve(e.code), failed: () => undefined, closed: () => undefined }),
    );
    const clientClosed = event<[number]>(pair.client, 'close', 'the client to see the close');
    pair.client.close(1000, 'done');
    assert.equal(await withDeadline(ended, WAIT_MS, 'the end to report the close'), 1000);
    assert.equal((await clientClosed)[0], 1000);
  } finally {
    await pair.close();
  }
});
