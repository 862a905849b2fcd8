/**
 * How a byte end hands its writes to the socket: what one run writes leaves at its end, in one write; a run that
 * wrote much (one TLS record of a read that brought several) is held for the rest of the turn, so that the whole
 * read leaves in one write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { StreamEnd } from '../../../src/pipe/ends.js';

/** A chunk as the recording names it: its text, or for a large one its first character and length. */
function named(chunk: Buffer): string {
  return chunk.length > 64 ? `${String.fromCharCode(chunk[0] as number)}×${chunk.length}` : chunk.toString();
}

/** A socket that records each write it is handed: the chunks of a writev together, a lone write as one. */
class RecordingSocket extends Duplex {
  readonly writes: string[][] = [];

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.writes.push([named(chunk)]);
    callback();
  }

  override _writev(chunks: { chunk: Buffer }[], callback: () => void): void {
    this.writes.push(chunks.map((c) => named(c.chunk)));
    callback();
  }
}

/** A TLS record's worth of one letter: a run that writes it is held for the rest of the turn. */
const record = (letter: string): Buffer => Buffer.alloc(16 * 1024, letter);

function attached(): { socket: RecordingSocket; end: StreamEnd } {
  const socket = new RecordingSocket();
  const end = new StreamEnd(socket);
  end.attach({ data() {}, ended() {}, failed() {}, closed() {} });
  return { socket, end };
}

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));
const endOfTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('what a run writes leaves at its end, in one write, in order, when it is less than half a TLS record', async () => {
  const { socket, end } = attached();
  const done: string[] = [];
  end.write(Buffer.from('one'), true, () => done.push('one'));
  end.write([Buffer.from('tw'), Buffer.from('o')], true, () => done.push('two'));
  assert.deepEqual(socket.writes, [], 'held until the run is over');
  await nextTick();
  assert.deepEqual(socket.writes, [['one', 'tw', 'o']], 'not held for the rest of the turn');
  end.write(Buffer.from('three'), true, () => done.push('three'));
  await nextTick();
  assert.deepEqual(socket.writes, [['one', 'tw', 'o'], ['three']]);
  await endOfTurn();
  assert.deepEqual(done, ['one', 'two', 'three']);
});

test('runs that each write a TLS record\'s worth (the records of one read) are held until the turn\'s I/O is handled, then leave in one write', async () => {
  const { socket, end } = attached();
  const done: string[] = [];
  // Each in a run of its own, with Node's queued callbacks run between them, as between the records of a read.
  end.write(record('a'), true, () => done.push('a'));
  await nextTick();
  end.write([record('b'), Buffer.from('c')], true, () => done.push('bc'));
  await nextTick();
  end.write(Buffer.from('d'), true, () => done.push('d'));
  await nextTick();
  assert.deepEqual(socket.writes, [], 'nothing leaves before the turn\'s I/O is handled');
  await endOfTurn();
  assert.deepEqual(socket.writes, [['a×16384', 'b×16384', 'c', 'd']]);
  await nextTick();
  assert.deepEqual(done, ['a', 'bc', 'd']);
  // The next turn starts afresh: a small run leaves at its end.
  end.write(Buffer.from('e'), true, () => done.push('e'));
  await nextTick();
  assert.deepEqual(socket.writes[1], ['e']);
});

test('64 KiB held leave at once, without waiting for the end of the turn; what follows in the turn is held again', async () => {
  const { socket, end } = attached();
  const large = Buffer.alloc(40 * 1024, 0x61);
  end.write(large, true, () => {});
  await nextTick();
  assert.equal(socket.writes.length, 0);
  end.write(large, true, () => {});
  assert.deepEqual(socket.writes, [['a×40960', 'a×40960']], '80 KiB held: they leave at once');
  end.write(Buffer.from('after'), true, () => {});
  await nextTick();
  assert.equal(socket.writes.length, 1);
  await endOfTurn();
  assert.deepEqual(socket.writes[1], ['after']);
});

test('a run that writes 64 KiB or more leaves at once, and a small write after it in the same run leaves at the run\'s end', async () => {
  const { socket, end } = attached();
  end.write(Buffer.alloc(70 * 1024, 0x62), true, () => {});
  assert.deepEqual(socket.writes, [['b×71680']]);
  end.write(Buffer.from('tail'), true, () => {});
  await nextTick();
  assert.deepEqual(socket.writes, [['b×71680'], ['tail']]);
});

test('the records of many ends in one turn each leave in one write of their own', async () => {
  const ends = Array.from({ length: 3 }, attached);
  for (let round = 0; round < 3; round++) {
    for (const [i, { end }] of ends.entries()) end.write(record(String(i)), true, () => {});
    await nextTick();
  }
  assert.ok(ends.every(({ socket }) => socket.writes.length === 0));
  await endOfTurn();
  for (const [i, { socket }] of ends.entries()) assert.deepEqual(socket.writes, [[`${i}×16384`, `${i}×16384`, `${i}×16384`]]);
});

test('an end closed while its writes are held sends them at once, before its end', async () => {
  const { socket, end } = attached();
  let finished = false;
  socket.on('finish', () => (finished = true));
  end.write(record('z'), true, () => {});
  await nextTick();
  end.write(Buffer.from('last words'), true, () => {});
  assert.deepEqual(socket.writes, [], 'held for the rest of the turn');
  end.close();
  assert.deepEqual(socket.writes, [['z×16384', 'last words']], 'written by the close, not at the end of the turn');
  await endOfTurn();
  assert.equal(finished, true);
  assert.equal(socket.writes.length, 1);
});

test('an end destroyed while its writes are held completes them (as failed), and the uncork owed for it does nothing', async () => {
  const { socket, end } = attached();
  const done: string[] = [];
  socket.on('error', () => {});
  end.write(record('y'), true, () => done.push('y'));
  await nextTick();
  end.destroy();
  await endOfTurn();
  await endOfTurn();
  assert.deepEqual(socket.writes, []);
  assert.deepEqual(done, ['y'], 'the pipe\'s count of pending bytes is told the write is over');
  // Another end's writes in the same turns are not held up by it.
  const other = attached();
  other.end.write(record('x'), true, () => {});
  await nextTick();
  await endOfTurn();
  assert.deepEqual(other.socket.writes, [['x×16384']]);
});
