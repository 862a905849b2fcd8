/**
 * Reloading a running gateway from its configuration file: on SIGHUP, when a file behind the configuration changes
 * (watch-files.ts), or when the primary of `--workers` says so. The file is prepared exactly as `check` and `start`
 * prepare it (prepare.ts); only a configuration that prepares without error is swapped in (Gateway.reload), and
 * anything that fails leaves the gateway as it was, with one log line per problem at its FILE:LINE:COL.
 *
 * Requests that arrive while a reload runs are coalesced into one more reload after it, so a burst of saves costs
 * at most two.
 */
import type { Logger } from 'pino';
import type { Diagnostic, GatewayConfig } from '../config/types.js';
import { eachError, isGatewayError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import { decodeOffThread } from '../keystore/decode-thread.js';
import { Coalescing } from './coalesce.js';
import { DEFAULT_CONFIG } from './paths.js';
import { logDiagnostics, prepareLoaded, readConfiguration, toDiagnostic, type Prepared } from './prepare.js';
import { changedSince, fileStates, watchFiles } from './watch-files.js';

export interface ReloadSource {
  /** As given to `start -c`; undefined for the default configuration. */
  readonly configPath: string | undefined;
  readonly defines: Record<string, string>;
}

/** The files a configuration is read from: the XML itself, the stores and their password files. */
export function configurationFiles(source: ReloadSource, config: GatewayConfig | undefined): string[] {
  const files = [source.configPath ?? DEFAULT_CONFIG];
  for (const store of [config?.security.keystore, config?.security.truststore]) {
    if (!store) continue;
    files.push(store.file);
    if (store.passwordFile !== undefined) files.push(store.passwordFile);
  }
  // A realm's users and secret files are read when the gateway is prepared: a new user or a rotated secret is a
  // reload. A token directory is read on every request and needs none.
  for (const realm of config?.security.realms ?? []) {
    for (const m of realm.loginModules) {
      if (m.type === 'file') files.push(m.file);
      else if (m.type === 'certificate-ticket') files.push(m.secretFile);
    }
  }
  return files;
}

/**
 * Prepares the configuration again (from the file, or from `bytes` read from it before), logging each problem at its
 * position; the gateway only when it prepared.
 * `running`: the gateway it is for, whose metrics and live sessions the new listeners and services share. The
 * stores whose keys take long to open are decoded on a thread first, so that the connections the process serves
 * meanwhile are not held up (keystore/decode-thread.ts).
 */
export async function prepareAgain(source: ReloadSource, log: Logger, running?: Gateway, bytes?: Buffer): Promise<Prepared> {
  const loaded = readConfiguration(source.configPath, source.defines, log, true, bytes);
  const named = loaded.ok ? loaded.config : loaded.partial?.config;
  const decodedStores = await decodeOffThread([named?.security.keystore, named?.security.truststore].filter((s) => s !== undefined));
  if (decodedStores.problem !== undefined) log.warn(`the stores could not be decoded on a thread of their own (${decodedStores.problem}): they are opened where they are read, and clients wait meanwhile`);
  const shared = running
    ? { metrics: running.metrics, sessions: running.sessions, management: running.management, worker: running.worker, crlsInForce: (where: string, path: string) => running.crlsInForce(where, path) }
    : {};
  const prepared = prepareLoaded(loaded, log, { ...shared, decodedStores });
  logDiagnostics(log, prepared.warnings);
  logDiagnostics(log, prepared.errors);
  return prepared;
}

/** The first of a failed reload's problems, where it is and what would fix it, for the `Reload failed` line. */
export function describeFailure(errors: readonly Diagnostic[]): string {
  const first = errors[0];
  if (!first) return 'the configuration did not prepare';
  const at = first.position ? `${first.position.file}${first.position.line !== undefined ? `:${first.position.line}:${first.position.column ?? 1}` : ''}: ` : '';
  return `${at}${first.code}: ${first.message}${first.hint ? ` (${first.hint})` : ''}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`;
}

export class Reloader {
  readonly #gateway: Gateway;
  readonly #source: ReloadSource;
  readonly #log: Logger;
  readonly #watch: boolean;
  #stopWatching: (() => void) | undefined;
  readonly #reloads = new Coalescing((why) => (this.#stopped ? Promise.resolve(false) : this.#reload(why)));
  #stopped = false;
  #bytes: Buffer | undefined;

  /** `watch`: reload when a file behind the configuration changes (off in a worker: its primary decides). */
  constructor(gateway: Gateway, source: ReloadSource, log: Logger, options: { readonly watch: boolean }) {
    this.#gateway = gateway;
    this.#source = source;
    this.#log = log;
    this.#watch = options.watch;
    this.#rewatch();
  }

  /**
   * Reloads now, or once the reload in progress is done; resolves true when the new configuration is in force.
   * `bytes`: the file's content as another process checked it (the primary of `--workers`), prepared instead of
   * the file; the last given is the one the next reload takes.
   */
  request(why: string, bytes?: Buffer): Promise<boolean> {
    if (this.#stopped) return Promise.resolve(false);
    this.#bytes = bytes;
    return this.#reloads.request(why);
  }

  stop(): void {
    this.#stopped = true;
    this.#stopWatching?.();
    this.#stopWatching = undefined;
  }

  async #reload(why: string): Promise<boolean> {
    this.#log.info({ event: 'reload', why }, `Reloading the configuration (${why})`);
    const before = fileStates(configurationFiles(this.#source, this.#gateway.config));
    const bytes = this.#bytes;
    this.#bytes = undefined;
    let prepared: Prepared;
    try {
      prepared = await prepareAgain(this.#source, this.#log, this.#gateway, bytes);
    } catch (err) {
      // What a file holds comes back as problems, not thrown; anything thrown (a development PKI taken apart since
      // start-up, say) must fail this reload as they do, not end the process: the reload's promise is not awaited.
      this.#gateway.reloadFailed(err);
      this.#logFailure(err);
      this.#againIfChanged(before);
      return false;
    }
    // A drain or stop that began while the stores were decoded: nothing is swapped in, and nothing failed.
    if (this.#stopped) return false;
    if (!prepared.gateway) {
      const reason = describeFailure(prepared.errors);
      this.#gateway.reloadFailed(new Error(reason));
      // The files the failed configuration names are watched too: a store it could not read yet, once written,
      // reloads it. Watched before the line is logged, which someone may be waiting for to write it.
      this.#rewatch(prepared.config ?? prepared.partial);
      this.#log.error({ event: 'reload', result: 'failure', code: 'GW_ERR_RELOAD' }, `Reload failed, the configuration in force stays: ${reason}`);
      this.#againIfChanged(before);
      return false;
    }
    try {
      await this.#gateway.reload(prepared.gateway);
    } catch (err) {
      // A new address that cannot be bound is only found now; it is reported as a problem found while preparing
      // is, and as start-up reports it: at the accept that wanted it.
      this.#logFailure(err);
      return false;
    }
    this.#rewatch();
    this.#log.info({ event: 'reload', result: 'success' }, 'Reloaded the configuration');
    this.#againIfChanged(before);
    return true;
  }

  /** A failure thrown rather than returned: each of a GatewayError's problems logged as found while preparing. */
  #logFailure(err: unknown): void {
    let reason = String(err);
    if (isGatewayError(err)) {
      const problems = eachError(err).map(toDiagnostic);
      logDiagnostics(this.#log, problems);
      reason = describeFailure(problems);
    }
    this.#log.error({ event: 'reload', result: 'failure', code: 'GW_ERR_RELOAD' }, `Reload failed, the configuration in force stays: ${reason}`);
  }

  /** A change made while a reload ran may have been seen only by the watcher just replaced, and lost with it. */
  #againIfChanged(before: ReadonlyMap<string, string>): void {
    const changed = this.#watch ? changedSince(before) : [];
    if (changed.length > 0) void this.request(`changed during the reload: ${changed.join(', ')}`);
  }

  /** Watches the files of the configuration now in force (a reload may name other stores), and of `attempted`. */
  #rewatch(attempted?: GatewayConfig): void {
    if (!this.#watch || this.#stopped) return;
    this.#stopWatching?.();
    const files = [...new Set([...configurationFiles(this.#source, this.#gateway.config), ...(attempted ? configurationFiles(this.#source, attempted) : [])])];
    this.#stopWatching = watchFiles(
      files,
      (changed) => void this.request(`changed: ${changed.join(', ')}`),
      { onWatchError: (dir, err) => this.#log.warn({ dir, reason: err instanceof Error ? err.message : String(err) }, `cannot watch ${dir} for changes; SIGHUP still reloads`) },
    );
  }
}
