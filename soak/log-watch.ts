/**
 * Reads the gateway's output as it comes: JSON log lines on stdout, anything on stderr. Counts what a soak must
 * never see (a stack trace, a line at level error or fatal, output on stderr) and keeps the first few as samples;
 * and, for the scenarios that ask, hands over the per-connection close lines.
 *
 * Lines are classified by a look at the text, not a JSON parse: the churn scenario alone makes 100,000 of them.
 */

export interface LineClass {
  /** pino's level (30 info, 40 warn, 50 error, 60 fatal); undefined for a line that is not a log line. */
  readonly level: number | undefined;
  /** A serialized error with its stack (`"stack":`), or a stack frame line as Node prints them (`    at f (…)`). */
  readonly stack: boolean;
}

const LEVEL = /"level":(\d+)/;
const FRAME = /^\s+at\s/;

export function classifyLine(text: string): LineClass {
  const m = LEVEL.exec(text);
  return { level: m ? Number(m[1]) : undefined, stack: text.includes('"stack":') || FRAME.test(text) };
}

/** pino's error level: lines at or above it mean something failed inside the gateway. */
export const ERROR_LEVEL = 50;
const SAMPLES = 5;

export interface CloseLine {
  readonly downstream?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly service?: string;
}

export interface LogCounts {
  readonly lines: number;
  readonly errorLines: number;
  readonly stackTraces: number;
  readonly stderrLines: number;
}

export class LogWatch {
  lines = 0;
  errorLines = 0;
  /** Lines that carry or are part of a stack trace. */
  stackTraces = 0;
  stderrLines = 0;
  /** The first lines of each kind above, for the report. */
  readonly samples: string[] = [];
  #onClose: ((line: CloseLine) => void) | undefined;

  push(text: string, stream: 'stdout' | 'stderr'): void {
    this.lines++;
    const c = classifyLine(text);
    let notable = false;
    if (stream === 'stderr') {
      this.stderrLines++;
      notable = true;
    }
    if (c.level !== undefined && c.level >= ERROR_LEVEL) {
      this.errorLines++;
      notable = true;
    }
    if (c.stack) {
      this.stackTraces++;
      notable = true;
    }
    if (notable && this.samples.length < SAMPLES) this.samples.push(text.length > 400 ? `${text.slice(0, 400)}…` : text);
    if (this.#onClose && text.includes('"event":"close"')) {
      try {
        this.#onClose(JSON.parse(text) as CloseLine);
      } catch {
        // not JSON after all: not a close line
      }
    }
  }

  /** Close lines go to `handler` from now on (one at a time: a later call replaces it). */
  onClose(handler: ((line: CloseLine) => void) | undefined): void {
    this.#onClose = handler;
  }

  counts(): LogCounts {
    return { lines: this.lines, errorLines: this.errorLines, stackTraces: this.stackTraces, stderrLines: this.stderrLines };
  }
}
