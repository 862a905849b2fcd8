/**
 * Runs a prepared gateway until SIGINT/SIGTERM: what `start` does once its file is read, and what `connect` does
 * with the configuration it makes from its flags, so both report, start, stop and exit alike. SIGINT stops at once;
 * SIGTERM drains (Gateway.drain) and a second SIGTERM stops at once; SIGHUP reloads a configuration read from a
 * file (reload.ts), and is logged and otherwise ignored by `connect`.
 */
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { Diagnostic } from '../config/types.js';
import { eachError, isGatewayError } from '../errors.js';
import { EXIT } from './exit-codes.js';
import { logDiagnostics, toDiagnostic, type Prepared } from './prepare.js';
import { Reloader, type ReloadSource } from './reload.js';
import { isEvent, WORKER_DRAIN, WORKER_RELOAD, WORKER_RELOADED, WORKER_RELOAD_REFUSED, WORKER_SHUTDOWN, type WorkerReload } from './workers.js';

export interface LaunchOptions {
  /** When the command began (process.hrtime.bigint()), for the `Started server successfully in X secs` line. */
  readonly began: bigint;
  /** Called once every listener is bound. */
  readonly onStarted?: () => void;
  /** How a problem found while preparing is shown; by default `FILE:LINE:COL: severity CODE: message`. */
  readonly describe?: (d: Diagnostic) => string;
  /** Where the configuration was read from, so that SIGHUP and changed files reload it; none for `connect`. */
  readonly reload?: ReloadSource;
}

/** Resolves with the exit code when the gateway has stopped or failed to launch. */
export async function launch(prepared: Prepared, log: Logger, options: LaunchOptions): Promise<number> {
  logDiagnostics(log, prepared.warnings, options.describe);
  if (!prepared.gateway) {
    logDiagnostics(log, prepared.errors, options.describe);
    log.fatal('Gateway failed to launch');
    return EXIT.INVALID;
  }
  const gateway = prepared.gateway;
  log.info('Starting server');
  try {
    await gateway.start();
  } catch (err) {
    // A GatewayError says all a user needs (Address already in use, the accept that wanted it, …), one line for each
    // address that could not be bound; other errors keep their stack.
    if (isGatewayError(err)) logDiagnostics(log, eachError(err).map(toDiagnostic), options.describe);
    else log.error({ err }, (err as Error).message);
    log.fatal('Gateway failed to launch');
    return EXIT.RUNTIME;
  }
  const secs = Number(process.hrtime.bigint() - options.began) / 1e9;
  log.info(`Started server successfully in ${secs.toFixed(3)} secs`);
  options.onStarted?.();

  const reloader = options.reload ? new Reloader(gateway, options.reload, log, { watch: !cluster.isWorker }) : undefined;

  return new Promise((resolve) => {
    let stopping = false;
    let draining = false;
    const finished = (done: Promise<void>): void => {
      done.then(
        () => resolve(EXIT.OK),
        (err: unknown) => {
          log.error({ err }, 'error while stopping');
          resolve(EXIT.RUNTIME);
        },
      );
    };
    /** Closes every connection at once (1001) and stops. */
    const stop = (why: string): void => {
      if (stopping) return;
      stopping = true;
      reloader?.stop();
      log.info(`${why}: stopping server`);
      finished(gateway.stop());
    };
    /** Stops accepting and closes the connections spread over the drain timeout, then stops. */
    const drain = (why: string): void => {
      if (draining || stopping) return;
      draining = true;
      reloader?.stop();
      log.info(`${why}: draining (new connections refused; open ones closed over ${gateway.drainTimeoutMs / 1000} s)`);
      finished(gateway.drain());
    };
    if (cluster.isWorker) {
      // The primary decides when workers stop or reload: a Ctrl-C reaches the whole process group, and a worker that
      // took it (and then the primary's request) as two signals would drop its connections instead of closing them.
      process.on('message', (message: unknown) => {
        if (message === WORKER_SHUTDOWN) stop('stop requested by the primary');
        else if (message === WORKER_DRAIN) drain('drain requested by the primary');
        else if (isEvent<WorkerReload>(message, WORKER_RELOAD) && reloader && !draining && !stopping) {
          const { generation, config } = message;
          void reloader.request('requested by the primary', Buffer.from(config, 'base64')).then((ok) => process.send?.({ event: WORKER_RELOADED, ok, generation }));
        } else if (isEvent<{ reason: string }>(message, WORKER_RELOAD_REFUSED)) gateway.reloadFailed(new Error(message.reason));
      });
      process.once('disconnect', () => stop('the primary went away'));
      // A terminal's Ctrl-C reaches the whole process group, and the primary stops the workers.
      process.on('SIGINT', () => {});
      // Sent to every process of the service by some supervisors (systemd's default KillMode), or by hand to this pid:
      // the primary drains and stops the workers together, so this one goes on serving until told to.
      process.on('SIGTERM', () => log.info(`SIGTERM reached worker ${process.pid}: ignored, the primary process (pid ${process.ppid}) drains and stops the workers`));
      // A terminal's hangup reaches the primary too; a SIGHUP sent to this pid alone would otherwise pass unseen.
      process.on('SIGHUP', () => log.info(`SIGHUP reached worker ${process.pid}, which leaves reloads to the primary process (pid ${process.ppid}): send it there to reload every worker`));
      return;
    }
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn(`${signal} again: exiting without waiting for connections to close`);
        resolve(EXIT.OK);
        return;
      }
      if (signal === 'SIGTERM' && !draining) drain('SIGTERM received');
      else stop(draining ? `${signal} during the drain: closing every connection now` : `${signal} received`);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Always handled: Node's default for SIGHUP ends the process at once, without a log line or a drain.
    process.on('SIGHUP', () => {
      if (draining || stopping) return;
      if (reloader) void reloader.request('SIGHUP');
      else log.info('SIGHUP received: nothing to reload, the configuration comes from the command line');
    });
  });
}
