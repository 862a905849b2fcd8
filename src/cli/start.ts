import type { Logger } from 'pino';
import { formatDiagnostic } from '../errors.js';
import { EXIT } from './exit-codes.js';
import { DEFAULT_CONFIG, displayPath } from './paths.js';
import { prepare } from './prepare.js';

/** Runs the gateway until SIGINT/SIGTERM. Resolves with the exit code when it has stopped or failed to launch. */
export async function start(
  configPath: string | undefined,
  defines: Record<string, string>,
  log: Logger,
  onStarted: () => void = () => {},
): Promise<number> {
  const began = process.hrtime.bigint();
  log.info(`Configuration file: ${displayPath(configPath ?? DEFAULT_CONFIG)}`);
  const prepared = prepare(configPath, defines, log);
  for (const w of prepared.warnings) log.warn({ code: w.code }, formatDiagnostic('warning', w.code, w.message, w.position, w.hint));
  if (!prepared.gateway) {
    for (const e of prepared.errors) log.error({ code: e.code }, formatDiagnostic('error', e.code, e.message, e.position, e.hint));
    log.fatal('Gateway failed to launch');
    return EXIT.INVALID;
  }
  const gateway = prepared.gateway;
  log.info('Starting server');
  try {
    await gateway.start();
  } catch (err) {
    log.error({ err, code: (err as { code?: string }).code }, (err as Error).message);
    log.fatal('Gateway failed to launch');
    return EXIT.RUNTIME;
  }
  const secs = Number(process.hrtime.bigint() - began) / 1e9;
  log.info(`Started server successfully in ${secs.toFixed(3)} secs`);
  onStarted();

  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn(`${signal} again: exiting without waiting for connections to close`);
        resolve(EXIT.OK);
        return;
      }
      stopping = true;
      log.info(`${signal} received: stopping server`);
      gateway.stop().then(
        () => resolve(EXIT.OK),
        (err: unknown) => {
          log.error({ err }, 'error while stopping');
          resolve(EXIT.RUNTIME);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
