/**
 * `connect`: the device side of a bridge without a configuration file. Local TCP clients on `--listen` are carried
 * to `--to` (typically a gateway's wss:// service, presenting the device's certificate). The flags become the
 * configuration a user would have written (connect-config.ts), which is then checked and run exactly as `start`
 * runs a file; problems in it are reported against the flag they came from.
 */
import type { Logger } from 'pino';
import { parseConfig } from '../config/index.js';
import { connectSettings, type ConnectFlags } from './connect-args.js';
import { CONNECT_SOURCE, connectConfig } from './connect-config.js';
import { describeByFlag, unusedWarnings } from './connect-diagnostics.js';
import { launch } from './launch.js';
import { prepareLoaded } from './prepare.js';

/**
 * Runs the bridge until SIGINT/SIGTERM and resolves with the exit code. Throws a GW_ERR_USAGE GatewayError, before
 * logging anything, when the flags themselves are wrong.
 */
export async function connect(flags: ConnectFlags, log: Logger, options: { readonly drainTimeoutMs?: number } = {}): Promise<number> {
  const began = process.hrtime.bigint();
  const settings = connectSettings(flags);
  const config = connectConfig(settings);
  log.info(`Configuration from the command line: ${settings.accept} -> ${settings.to}`);
  log.debug(`The equivalent gateway-config.xml:\n${config.text.trimEnd()}`);
  const prepared = prepareLoaded(parseConfig(config.text, CONNECT_SOURCE), log, options.drainTimeoutMs !== undefined ? { drainTimeoutMs: options.drainTimeoutMs } : {});
  const withUnused = { ...prepared, warnings: [...unusedWarnings(settings, config), ...prepared.warnings] };
  return launch(withUnused, log, { began, describe: (d) => describeByFlag(d, config) });
}
