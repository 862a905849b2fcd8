/**
 * Where a running gateway's log lines go: a file descriptor (stdout) written without ever blocking the gateway.
 *
 * pino's default destination writes synchronously, and when the descriptor is a pipe or socket whose reader has
 * stopped reading, it retries every 100 ms for as long as that lasts, with the event loop held: the gateway serves
 * no one and does not even see SIGTERM. Here writes are asynchronous; while the reader is away, lines wait in a
 * buffer of bounded size, and lines beyond it are dropped and counted. The first write after a drop reports how
 * many were lost, so a gap in the log never goes unexplained. At exit the buffer is written out synchronously, for
 * at most `exitFlushMs`: a reader that never comes back cannot keep the process alive.
 */
import sonicBoom, { type SonicBoom } from 'sonic-boom';

// A CommonJS module that is the class itself, and holds it as `SonicBoom`, the name its types give it.
const SonicBoomStream = sonicBoom.SonicBoom;

/** Lines held while the reader is away, at most: about 50,000 lines of a gateway's log. */
const DEFAULT_LOG_BUFFER_BYTES = 16 * 1024 * 1024;
const DEFAULT_EXIT_FLUSH_MS = 2000;

export interface LogDestinationOptions {
  readonly fd: number;
  readonly maxBufferBytes?: number;
  readonly exitFlushMs?: number;
  /** Called once writes succeed again after `count` lines were dropped (the reader fell behind, or went away). */
  readonly onDropped: (count: number) => void;
}

export interface LogDestination {
  readonly stream: SonicBoom;
  /** Lines dropped and not yet reported. */
  readonly dropped: number;
  /** Writes out what is buffered, giving up after the exit deadline; what `process.on('exit')` runs. */
  flushAtExit(): void;
}

export function logDestination(options: LogDestinationOptions): LogDestination {
  const exitFlushMs = options.exitFlushMs ?? DEFAULT_EXIT_FLUSH_MS;
  let giveUpAt = Infinity;
  let dropped = 0;
  let broken = false;
  const stream = new SonicBoomStream({
    fd: options.fd,
    sync: false,
    maxLength: options.maxBufferBytes ?? DEFAULT_LOG_BUFFER_BYTES,
    // While running, a full pipe is waited for (every 100 ms, off the event loop); at exit, only until the deadline.
    retryEAGAIN: () => Date.now() < giveUpAt,
  });
  stream.on('drop', () => {
    dropped++;
  });
  stream.on('write', () => {
    if (dropped === 0) return;
    const count = dropped;
    dropped = 0;
    options.onDropped(count);
  });
  stream.on('error', () => {
    // The reader has closed its end (EPIPE), or the descriptor is unusable: nothing written from now on can arrive.
    if (broken) return;
    broken = true;
    stream.write = () => {
      dropped++;
      return true;
    };
  });
  return {
    stream,
    get dropped() {
      return dropped;
    },
    flushAtExit() {
      if (broken) return;
      giveUpAt = Date.now() + exitFlushMs;
      try {
        stream.flushSync();
      } catch {
        // The reader did not read within the deadline: what is still buffered is lost with the process.
      }
    },
  };
}
