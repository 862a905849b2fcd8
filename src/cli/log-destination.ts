/**
 * Where a running gateway's log lines go: a file descriptor (stdout) that never holds the gateway up.
 *
 * A log line is written at once, as pino's synchronous destination writes it, so that nothing is lost when the
 * process dies. The descriptor is non-blocking (a pipe or socket stdout is, once Node has made `process.stdout`),
 * so when its reader has stopped reading, the write fails with EAGAIN instead of waiting. pino's destination then
 * retries every 100 ms, with the event loop held, for as long as the reader is away: the gateway serves no one and
 * does not even see SIGTERM. Here the line waits instead, with those after it, in a buffer of bounded size that a
 * timer tries again; lines beyond the bound are dropped and counted, and the first write after a drop reports how
 * many were lost, so a gap in the log never goes unexplained. At exit the buffer is written out, waiting for the
 * reader at most `exitFlushMs`: one that never comes back cannot keep the process alive. A reader that has closed
 * its end (EPIPE) or a descriptor that fails otherwise ends all writing.
 *
 * sonic-boom (pino's own destination) offers an asynchronous mode with a bound, but its synchronous flush, which
 * an exit needs, retries a closed pipe's EPIPE forever.
 */
import { EventEmitter } from 'node:events';
import { writeSync } from 'node:fs';

/** Lines held while the reader is away, at most: about 50,000 lines of a gateway's log. */
const DEFAULT_MAX_BUFFER_BYTES = 16 * 1024 * 1024;
const DEFAULT_EXIT_FLUSH_MS = 2000;
/** How long a full pipe is left alone before the next attempt. */
const RETRY_MS = 50;
/** How long the exit flush waits between attempts on a full pipe. */
const EXIT_RETRY_MS = 10;

export interface LogDestinationOptions {
  readonly fd: number;
  readonly maxBufferBytes?: number;
  readonly exitFlushMs?: number;
  /** Called once writes succeed again after `count` lines were dropped; what it writes is written next. */
  readonly onDropped: (count: number) => void;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Emits `write` (the bytes written) after each write the descriptor took. */
export class LogDestination extends EventEmitter {
  readonly #fd: number;
  readonly #maxBufferBytes: number;
  readonly #exitFlushMs: number;
  readonly #onDropped: (count: number) => void;
  /** What a partial write left of the lines it carried; written before `#queue`. */
  #head: Buffer | undefined;
  /** Lines not yet attempted, joined. */
  #queue = '';
  /** Bytes in `#head` and `#queue`. */
  #bytes = 0;
  #dropped = 0;
  #retry: NodeJS.Timeout | undefined;
  #draining = false;
  #broken = false;

  constructor(options: LogDestinationOptions) {
    super();
    this.#fd = options.fd;
    this.#maxBufferBytes = options.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES;
    this.#exitFlushMs = options.exitFlushMs ?? DEFAULT_EXIT_FLUSH_MS;
    this.#onDropped = options.onDropped;
  }

  /** Lines dropped and not yet reported. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Takes one line (pino's destination interface); never blocks and never throws. */
  write(line: string): boolean {
    if (this.#broken) return true;
    const size = Buffer.byteLength(line);
    if (this.#bytes + size > this.#maxBufferBytes) {
      this.#dropped++;
      return true;
    }
    this.#queue += line;
    this.#bytes += size;
    // While a full pipe waits for its retry, or a write is under way, the line joins the queue.
    if (this.#retry === undefined && !this.#draining) this.#drain(undefined);
    return true;
  }

  /** Writes out what is buffered, waiting for a full pipe no longer than the exit deadline; for `process.on('exit')`. */
  flushAtExit(): void {
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#drain(Date.now() + this.#exitFlushMs);
  }

  /**
   * Writes until the buffer is empty. On a full pipe: with `waitUntil`, waits and tries again until then; without,
   * leaves the rest to a timer.
   */
  #drain(waitUntil: number | undefined): void {
    this.#draining = true;
    try {
      while (!this.#broken && this.#bytes > 0) {
        const head = this.#head;
        const queued = head === undefined ? this.#queue : '';
        if (head === undefined) this.#queue = '';
        let written: number;
        try {
          written = head === undefined ? writeSync(this.#fd, queued) : writeSync(this.#fd, head);
        } catch (err) {
          if (head === undefined) this.#queue = queued + this.#queue;
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') {
            this.#break();
            return;
          }
          if (waitUntil !== undefined && Date.now() < waitUntil) {
            sleep(EXIT_RETRY_MS);
            continue;
          }
          if (waitUntil === undefined) this.#retryLater();
          return;
        }
        this.#bytes -= written;
        if (head !== undefined) this.#head = written < head.length ? head.subarray(written) : undefined;
        else if (written < Buffer.byteLength(queued)) this.#head = Buffer.from(queued).subarray(written);
        if (written > 0) this.emit('write', written);
        if (this.#dropped > 0) {
          const count = this.#dropped;
          this.#dropped = 0;
          this.#onDropped(count);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  #retryLater(): void {
    // Unreferenced: lines waiting for a reader do not keep the process alive; the exit flush gives them their chance.
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#drain(undefined);
    }, RETRY_MS).unref();
  }

  #break(): void {
    this.#broken = true;
    this.#head = undefined;
    this.#queue = '';
    this.#bytes = 0;
  }
}
