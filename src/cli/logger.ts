/**
 * The one logger of the process. JSON lines (pino) when stdout is not a terminal or `--log-format json` is given,
 * readable text on a terminal. Library code receives this logger and never prints.
 */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { LogDestination } from './log-destination.js';

export type LogFormat = 'json' | 'text';

export interface LoggerOptions {
  /** Fields on every line (which worker of a `--workers` gateway wrote it, say). */
  readonly bindings?: Record<string, unknown>;
  /**
   * For commands that run until stopped (`start`, `connect`): lines are written without blocking the process, and
   * dropped (then counted) when stdout is not read for long (log-destination.ts). One-shot commands write
   * synchronously, in order with what they print.
   */
  readonly nonBlocking?: boolean;
}

// C0 and C1 controls, DEL, and the two Unicode line separators: all that can end a line or drive a terminal.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A message as one line of text, its control characters written as escapes (`\n`, `\u001b`). Messages carry what
 * clients chose (a certificate's subject, a request path): a newline in one would otherwise begin a forged line of
 * its own in a text log. JSON lines escape them already.
 */
export function oneLine(message: string): string {
  return message.replace(CONTROL, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function createLogger(format: LogFormat | undefined, level = 'info', options: LoggerOptions = {}): Logger {
  const chosen = format ?? (process.stdout.isTTY ? 'text' : 'json');
  const pinoOptions = {
    level,
    base: options.bindings ?? undefined,
    serializers: { err: pino.stdSerializers.err },
    // Logs from one process are read together; the pid and host name are noise on every line.
  };
  let logger: Logger | undefined;
  let stdout: LogDestination | undefined;
  if (options.nonBlocking) {
    // Making process.stdout puts a pipe or socket stdout in non-blocking mode (libuv does so for every stream it
    // opens), which the destination needs to see a full pipe rather than wait on it.
    void process.stdout;
    const destination = new LogDestination({
      fd: 1,
      onDropped: (dropped) => logger?.warn({ code: 'GW_ERR_LOG_DROPPED', dropped }, `${dropped} log lines dropped: stdout was not read for a while`),
    });
    process.once('exit', () => destination.flushAtExit());
    stdout = destination;
  }
  if (chosen === 'json') {
    const jsonOptions = { ...pinoOptions, timestamp: pino.stdTimeFunctions.isoTime };
    logger = stdout ? pino(jsonOptions, stdout) : pino(jsonOptions);
    return logger;
  }
  // pino-pretty pipes into a stream: one that hands each line on and is done with it at once.
  const prettyOut = stdout
    ? new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          stdout.write(chunk.toString());
          done();
        },
      })
    : undefined;
  logger = pino(
    pinoOptions,
    pretty({
      sync: true,
      destination: prettyOut,
      colorize: Boolean(process.stdout.isTTY),
      translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
      // An error goes on its line after the message, its stack's newlines escaped, rather than in a block of lines
      // after it (which pino-pretty makes of errors even in single-line mode).
      ignore: 'pid,hostname,err',
      singleLine: true,
      messageFormat: (log, key) => oneLine(log['err'] === undefined ? String(log[key] ?? '') : `${String(log[key] ?? '')} err=${JSON.stringify(log['err'])}`),
    }),
  );
  return logger;
}
