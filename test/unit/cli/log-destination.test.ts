/**
 * The log destination of a running gateway, on a real pipe (a FIFO, both ends non-blocking as a stdout pipe is):
 * a reader that stops never blocks a write, lines past the buffer are dropped and then reported, and the exit flush
 * writes what is buffered but gives up on a reader that does not come back.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogDestination } from '../../../src/cli/log-destination.js';
import { event } from '../../helpers/deadline.js';

const LINE_BYTES = 100;

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

/** A FIFO's two ends, opened as a gateway's stdout pipe is once Node has made it: non-blocking. */
function pipe(): { reader: number; writer: number } {
  const dir = mkdtempSync(join(tmpdir(), 'gw-log-'));
  const path = join(dir, 'fifo');
  execFileSync('mkfifo', [path]);
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  cleanup = () => {
    for (const fd of [reader, writer]) {
      try {
        closeSync(fd);
      } catch {
        // closed by the test itself
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { reader, writer };
}

/** Everything the pipe holds now. */
function drain(fd: number): string {
  const chunk = Buffer.alloc(65536);
  let text = '';
  for (;;) {
    try {
      const n = readSync(fd, chunk);
      if (n === 0) return text;
      text += chunk.toString('latin1', 0, n);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return text;
      throw err;
    }
  }
}

function line(i: number): string {
  const head = `line ${i} `;
  return head + 'x'.repeat(LINE_BYTES - head.length - 1) + '\n';
}

/** Reads until `done` holds of what was read, waiting on the destination's writes (each wait with a deadline). */
async function readUntil(reader: number, dest: LogDestination, done: (text: string) => boolean): Promise<string> {
  // The destination's retry timer does not hold the process open (by design); this wait must.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    let text = '';
    for (;;) {
      // Listened for before reading, so that a write made in between is not missed.
      const wrote = event(dest, 'write', 'the destination to write again');
      text += drain(reader);
      if (done(text)) {
        wrote.catch(() => {});
        return text;
      }
      await wrote;
    }
  } finally {
    clearInterval(keepAlive);
  }
}

test('a reader that stops reading blocks no write; lines past the buffer are dropped, counted and reported', { timeout: 20_000 }, async () => {
  const { reader, writer } = pipe();
  const reports: number[] = [];
  const dest: LogDestination = new LogDestination({
    fd: writer,
    maxBufferBytes: 64 * 1024,
    onDropped: (count) => {
      reports.push(count);
      dest.write(`dropped ${count}\n`);
    },
  });
  const total = 4000; // 400 KB: a pipe (64 KiB) and the buffer (64 KiB) hold far less
  for (let i = 0; i < total; i++) dest.write(line(i));
  assert.ok(dest.dropped > 0, 'lines were dropped while nobody read');

  const text = await readUntil(reader, dest, (t) => t.includes('dropped '));
  const lines = text.split('\n').filter((l) => l.length > 0);
  const numbers = lines.filter((l) => l.startsWith('line ')).map((l) => Number(l.split(' ')[1]));
  for (let i = 1; i < numbers.length; i++) assert.ok(numbers[i]! > numbers[i - 1]!, 'lines arrive in the order they were written');
  assert.equal(lines.at(-1), `dropped ${reports[0]}`, 'the report follows the lines that were kept');
  assert.equal(numbers.length + reports[0]!, total, 'every line was either written or counted as dropped');
  assert.equal(dest.dropped, 0, 'the count starts again once reported');
});

test('lines a full pipe did not take are all written by the exit flush once there is room', () => {
  const { reader, writer } = pipe();
  const dest = new LogDestination({ fd: writer, onDropped: () => assert.fail('nothing is dropped') });
  // 100 KB: the pipe takes 64 KiB, the rest waits in the buffer.
  for (let i = 0; i < 1000; i++) dest.write(line(i));
  const first = drain(reader);
  assert.ok(first.length < 1000 * LINE_BYTES, 'the pipe did not take every line');
  dest.flushAtExit();
  const lines = (first + drain(reader)).split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1000);
  assert.deepEqual(lines.slice(-2), [line(998).trimEnd(), line(999).trimEnd()]);
});

test('a reader that closed its end ends all writing, and the exit flush returns at once', { timeout: 20_000 }, () => {
  const { reader, writer } = pipe();
  const dest = new LogDestination({ fd: writer, exitFlushMs: 60_000, onDropped: () => {} });
  for (let i = 0; i < 1000; i++) dest.write(line(i)); // the pipe fills, the rest is buffered
  closeSync(reader);
  dest.write(line(1000)); // EPIPE on the next attempt
  dest.flushAtExit(); // returns: with the reader gone there is nothing to wait for
  dest.write(line(1001));
  assert.equal(dest.dropped, 0, 'writes after the reader left are discarded, not counted for a report that cannot come');
});

test('the exit flush gives up on a reader that does not read within its deadline', { timeout: 20_000 }, () => {
  const { reader, writer } = pipe();
  const dest = new LogDestination({ fd: writer, exitFlushMs: 300, onDropped: () => {} });
  for (let i = 0; i < 2000; i++) dest.write(line(i)); // 200 KB: the pipe fills, the rest stays buffered
  dest.flushAtExit(); // returns: the test would time out otherwise
  const written = drain(reader).split('\n').filter((l) => l.length > 0).length;
  assert.ok(written < 2000, `only what the pipe held was written (${written} lines)`);
});
