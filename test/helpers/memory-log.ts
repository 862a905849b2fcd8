/** A pino logger whose lines land in an array, for asserting what library code logged. */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface MemoryLog {
  readonly log: Logger;
  readonly lines: Record<string, unknown>[];
  /** Resolves with the first line, past or future, that matches. */
  waitFor(predicate: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
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
    waitFor: (predicate) => {
      const seen = lines.find(predicate);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
  };
}
