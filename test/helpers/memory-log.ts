/** A pino logger whose lines land in an array, for asserting what library code logged. */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { WAIT_MS, withDeadline } from './deadline.js';

export interface MemoryLog {
  readonly log: Logger;
  readonly lines: Record<string, unknown>[];
  /** Resolves with the first line, past or future, that matches; rejects, naming the predicate, after `ms`. */
  waitFor(predicate: (line: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
}

export function memoryLog(): MemoryLog {
  const lines: Record<string, unknown>[] = [];
  const waiters: { predicate: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString().split('\n')) {
        if (!text) continue;
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        for (const w of [...waiters]) {
          if (w.predicate(line)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
      done();
    },
  });
  return {
    log: pino({ level: 'debug' }, stream),
    lines,
    waitFor: (predicate, ms = WAIT_MS) => {
      const seen = lines.find(predicate);
      if (seen) return Promise.resolve(seen);
      const waiter = { predicate, resolve: (_: Record<string, unknown>) => {} };
      const found = new Promise<Record<string, unknown>>((resolve) => (waiter.resolve = resolve));
      waiters.push(waiter);
      return withDeadline(found, ms, `a log line matching ${String(predicate)}`).finally(() => {
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
      });
    },
  };
}
