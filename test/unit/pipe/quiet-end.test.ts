import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { quietRepeatedEnds } from '../../../src/pipe/quiet-end.js';
import { WebSocketEnd } from '../../../src/pipe/ends.js';
import { WAIT_MS, event, withDeadline } from '../../helpers/deadline.js';
import { wsPair } from '../../helpers/ws-rig.js';

/** A Writable that looks like ws's frame reader to quietRepeatedEnds. */
function readerOf(): { ws: { _receiver: Writable }; reader: Writable; written: Buffer[] } {
  const written: Buffer[] = [];
  const reader = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk);
      done();
    },
  });
  return { ws: { _receiver: reader }, reader, written };
}

function errorOf(end: (cb: (err?: Error | null) => void) => void): Promise<Error | null | undefined> {
  return withDeadline(new Promise((resolve) => end(resolve)), WAIT_MS, "end()'s callback");
}

test('a repeated end() of a finished reader changes nothing and raises nothing', async () => {
  const { ws, reader } = readerOf();
  assert.equal(quietRepeatedEnds(ws), true);
  let errors = 0;
  reader.on('error', () => errors++);
  reader.end();
  await event(reader, 'finish', 'the reader to finish');
  assert.equal(reader.end(), reader);
  assert.equal(reader.end(), reader);
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

test('an object without a Writable reader is left alone', () => {
  assert.equal(quietRepeatedEnds({}), false);
  assert.equal(quietRepeatedEnds({ _receiver: { end: () => undefined } }), false);
});

test('the ws in use still keeps its frame reader where quietRepeatedEnds looks, on both sides', async () => {
  const pair = await wsPair();
  try {
    assert.equal(quietRepeatedEnds(pair.serverWs), true, "ws's server WebSocket has no _receiver Writable: update quiet-end.ts");
    assert.equal(quietRepeatedEnds(pair.client), true, "ws's client WebSocket has no _receiver Writable: update quiet-end.ts");
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
