/**
 * The one logger of the process. JSON lines (pino) when stdout is not a terminal or `--log-format json` is given,
 * readable text on a terminal. Library code receives this logger and never prints.
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type LogFormat = 'json' | 'text';

/** `bindings` go on every line (which worker of a `--workers` gateway wrote it, say). */
export function createLogger(format: LogFormat | undefined, level = 'info', bindings?: Record<string, unknown>): Logger {
  const chosen = format ?? (process.stdout.isTTY ? 'text' : 'json');
  const options = {
    level,
    base: bindings ?? undefined,
    serializers: { err: pino.stdSerializers.err },
    // Logs from one process are read together; the pid and host name are noise on every line.
  };
  if (chosen === 'json') return pino({ ...options, timestamp: pino.stdTimeFunctions.isoTime });
  return pino(
    options,
    pretty({ sync: true, colorize: Boolean(process.stdout.isTTY), translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: 'pid,hostname' }),
  );
}
