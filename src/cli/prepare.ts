/**
 * What `start`, `check` and `connect` share: read the config, then prepare the gateway (stores, TLS contexts,
 * services, listeners) without binding. Every problem found on the way is returned, in file order.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { loadConfig, loadConfigBytes } from '../config/index.js';
import type { Diagnostic, GatewayConfig, LoadConfigResult, PartialConfig } from '../config/types.js';
import { ensureDevPki } from '../devpki/dev-pki.js';
import { formatDiagnostic, type GatewayError } from '../errors.js';
import { Gateway, type GatewayDependencies } from '../gateway.js';
import { DEFAULT_CONFIG, DEV_PKI_DIR, displayPath } from './paths.js';

export interface Prepared {
  readonly config: GatewayConfig | undefined;
  readonly gateway: Gateway | undefined;
  readonly errors: readonly Diagnostic[];
  readonly warnings: readonly Diagnostic[];
  /** Services with errors of their own, whose stores, certificates and ports are checked once they are fixed. */
  readonly incomplete?: readonly string[];
  /** With errors in the file: the configuration without the parts in error (the files it names can be watched). */
  readonly partial?: GatewayConfig | undefined;
}

export function toDiagnostic(e: GatewayError): Diagnostic {
  return { severity: 'error', code: e.code, message: e.message, position: e.position, hint: e.hint };
}

/** `FILE:LINE:COL: severity CODE: message (hint)`, as `check` prints a problem. */
export function describeAtPosition(d: Diagnostic): string {
  return formatDiagnostic(d.severity, d.code, d.message, d.position, d.hint);
}

/**
 * Logs each problem on a line of its own with its `code`, at its severity: how `start` reports what kept it from
 * launching, and a reload what kept it from being swapped in, so that both name the same places in the same words.
 */
export function logDiagnostics(log: Logger, list: readonly Diagnostic[], describe: (d: Diagnostic) => string = describeAtPosition): void {
  for (const d of list) {
    if (d.severity === 'error') log.error({ code: d.code }, describe(d));
    else log.warn({ code: d.code }, describe(d));
  }
}

/**
 * What the gateway is given besides its configuration: where it counts what it does (none when only checking),
 * `start --drain-timeout`, and for a reload the running gateway's live sessions and what its management services read.
 */
export type PrepareOptions = Pick<GatewayDependencies, 'metrics' | 'drainTimeoutMs' | 'sessions' | 'management' | 'worker' | 'decodedStores' | 'crlsInForce'>;

/** `bytes`: the file's content as read before (configBytes), so that what is prepared is exactly what was read then. */
export function prepare(configPath: string | undefined, defines: Record<string, string>, log: Logger, options: PrepareOptions = {}, bytes?: Buffer): Prepared {
  return prepareLoaded(readConfiguration(configPath, defines, log, false, bytes), log, options);
}

/** The configuration file's content, or undefined when it cannot be read (readConfiguration then says why). */
export function configBytes(configPath: string | undefined): Buffer | undefined {
  try {
    return readFileSync(configPath ?? DEFAULT_CONFIG);
  } catch {
    return undefined;
  }
}

/**
 * Reads the configuration file (undefined: the default one, whose development PKI is made on first use), or parses
 * `bytes` read from it before. `reload`: the running gateway read it before, which is what a missing file's hint says.
 */
export function readConfiguration(configPath: string | undefined, defines: Record<string, string>, log: Logger, reload = false, bytes?: Buffer): LoadConfigResult {
  const file = configPath ?? DEFAULT_CONFIG;
  if (configPath === undefined) {
    // The default configuration serves TLS with a development PKI made on first use, so a fresh clone runs.
    const made = ensureDevPki(DEV_PKI_DIR);
    if (made.created) {
      log.warn(`Created a development CA and certificates in ${displayPath(made.dir)}: for trying the gateway only, never for production`);
    }
  }
  const result = bytes !== undefined ? loadConfigBytes(displayPath(file), bytes, { defines }) : loadConfig(displayPath(file), { defines });
  if (result.ok || existsSync(file) || !result.diagnostics.some((d) => d.code === 'GW_ERR_FILE_READ')) return result;
  const hint = reload
    ? 'it was read when the gateway started: it has been moved or removed since, and the configuration in force stays until it is back'
    : configPath === undefined
      ? 'name the configuration file with -c PATH'
      : 'check the path given with -c; a relative one is read from the working directory';
  return { ...result, diagnostics: result.diagnostics.map((d) => (d.code === 'GW_ERR_FILE_READ' ? { ...d, hint } : d)) };
}

/** Prepares a gateway from a configuration already read (from a file, or made from `connect`'s flags). */
export function prepareLoaded(result: LoadConfigResult, log: Logger, options: PrepareOptions = {}): Prepared {
  const warnings = result.diagnostics.filter((d) => d.severity === 'warning');
  if (!result.ok) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    if (result.partial === undefined) return { config: undefined, gateway: undefined, errors, warnings };
    const checked = checkPartial(result.partial, errors, log, options);
    return { config: undefined, gateway: undefined, errors: inFileOrder([...errors, ...checked.errors]), warnings: inFileOrder([...warnings, ...checked.warnings]), incomplete: result.partial.incomplete, partial: result.partial.config };
  }
  const prepared = Gateway.prepare(result.config, { ...options, log });
  const allWarnings = [...warnings, ...prepared.warnings];
  if (!prepared.ok) return { config: result.config, gateway: undefined, errors: prepared.errors.map(toDiagnostic), warnings: allWarnings };
  return { config: result.config, gateway: prepared.gateway, errors: [], warnings: allWarnings };
}

/**
 * The stores, certificates and TLS settings of a file that has errors, from the parts that were read without one,
 * so that one round lists them too. Nothing is bound. "A store is missing" is left out: in a file with errors it
 * is either reported already (no <keystore> declared) or follows from a store element reported where it is.
 */
function checkPartial(partial: PartialConfig, known: readonly Diagnostic[], log: Logger, options: PrepareOptions): { errors: Diagnostic[]; warnings: readonly Diagnostic[] } {
  const prepared = Gateway.prepare(partial.config, { log, decodedStores: options.decodedStores });
  if (prepared.ok) return { errors: [], warnings: prepared.warnings };
  const at = (d: Diagnostic): string => `${d.position?.file}:${d.position?.line}:${d.position?.column}`;
  const reported = new Set(known.map(at));
  const errors = prepared.errors.map(toDiagnostic).filter((d) => d.code !== 'GW_ERR_TLS_NO_KEYSTORE' && !reported.has(at(d)));
  return { errors, warnings: prepared.warnings };
}

/** Problems without a line first, then by line and column, as the config reader orders its own. */
function inFileOrder(list: readonly Diagnostic[]): Diagnostic[] {
  const key = (d: Diagnostic): [number, number] => [d.position?.line ?? 0, d.position?.column ?? 0];
  return [...list].sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1]);
}
