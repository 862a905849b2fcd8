/**
 * Runs a prepared gateway until SIGINT/SIGTERM: what `start` does once its file is read, and what `connect` does
 * with the configuration it makes from its flags, so both report, start, stop and exit alike.
 */
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { Diagnostic } from '../config/types.js';
import { formatDiagnostic, isGatewayError } from '../errors.js';
import { EXIT } from './exit-codes.js';
import type { Prepared } from './prepare.js';
import { WORKER_SHUTDOWN } from './workers.js';

export interface LaunchOptions {
  /** When the command began (process.hrtime.bigint()), for the `Started server successfully in X secs` line. */
  readonly began: bigint;
  /** Called once every listener is bound. */
  readonly onStarted?: () => void;
  /** How a problem found while preparing is shown; by default `FILE:LINE:COL: severity CODE: message`. */
  readonly describe?: (d: Diagnostic) => string;
}

function describeAtPosition(d: Diagnostic): string {
  return formatDiagnostic(d.severity, d.code, d.message, d.position, d.hint);
}

/** Resolves with the exit code when the gateway has stopped or failed to launch. */
export async function launch(prepared: Prepared, log: Logger, options: LaunchOptions): Promise<number> {
  const describe = options.describe ?? describeAtPosition;
  for (const w of prepared.warnings) log.warn({ code: w.code }, describe(w));
  if (!prepared.gateway) {
    for (const e of prepared.errors) log.error({ code: e.code }, describe(e));
    log.fatal('Gateway failed to launch');
    return EXIT.INVALID;
  }
  const gateway = prepared.gateway;
  log.info('Starting server');
  try {
    await gateway.start();
  } catch (err) {
    // A GatewayError's message says all a user needs (Address already in use, …); other errors keep their stack.
    if (isGatewayError(err)) log.error({ code: err.code }, err.message);
    else log.error({ err }, (err as Error).message);
    log.fatal('Gateway failed to launch');
    return EXIT.RUNTIME;
  }
  const secs = Number(process.hrtime.bigint() - options.began) / 1e9;
  log.info(`Started server successfully in ${secs.toFixed(3)} secs`);
  options.onStarted?.();

  return new Promise((resolve) => {
    let stopping = false;
    const stop = (why: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`${why}: stopping server`);
      gateway.stop().then(
        () => resolve(EXIT.OK),
        (err: unknown) => {
          log.error({ err }, 'error while stopping');
          resolve(EXIT.RUNTIME);
        },
      );
    };
    if (cluster.isWorker) {
      // The primary decides when workers stop: a Ctrl-C reaches the whole process group, and a worker that took it
      // (and then the primary's request) as two signals would drop its connections instead of closing them.
      process.on('message', (message: unknown) => {
        if (message === WORKER_SHUTDOWN) stop('stop requested by the primary');
      });
      process.once('disconnect', () => stop('the primary went away'));
      process.on('SIGINT', () => {});
      process.on('SIGTERM', () => {});
      return;
    }
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn(`${signal} again: exiting without waiting for connections to close`);
        resolve(EXIT.OK);
        return;
      }
      stop(`${signal} received`);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
