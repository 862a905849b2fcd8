/**
 * `start --workers N`: N gateway processes sharing the listening sockets through node's cluster module (the primary
 * accepts and hands connections to the workers in turn, so they spread evenly). The primary checks the configuration
 * first, so a broken file fails once instead of in every worker; a worker that dies after starting is replaced, one
 * that dies while starting stops the whole gateway (it would only die again).
 *
 * Reload: on SIGHUP or a changed file the primary checks the configuration once, and that no address would be
 * served otherwise than since the start (TLS or plain, HTTP or a byte stream: the workers may each run another of
 * the reloads); only then does it send the file's content, as it checked it, to every worker, which prepares that
 * content itself before swapping it in and reports back whether it did. Once one has, it is in force: a worker
 * starts from it, as the primary holds it, never from the file, which may hold a refused reload or be broken since,
 * and one given the configuration before it while it started is sent it once it has (worker-configurations.ts).
 * Drain: SIGTERM is passed on as a drain, a second SIGTERM or SIGINT as a stop; a worker still running drain-timeout
 * plus a margin later is killed.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/types.js';
import { serveClusterMetrics } from '../metrics/cluster.js';
import { serveClusterManagement, WORKERS_ENV } from '../services/management/cluster.js';
import { Coalescing } from './coalesce.js';
import { EXIT } from './exit-codes.js';
import { GatewayError } from '../errors.js';
import { askPrimary, isMessage } from '../ipc.js';
import { moveTicketSecretOn, TICKET_KEY_LIFETIME_MS, ticketSecret, useTicketSecret } from '../tls/tickets.js';
import { configBytes, logDiagnostics, prepare, toDiagnostic } from './prepare.js';
import { WorkerConfigurations } from './worker-configurations.js';
import { configurationFiles, describeFailure, prepareAgain, type ReloadSource } from './reload.js';
import { changedSince, fileStates, watchFiles } from './watch-files.js';

export const WORKER_STARTED = 'gateway:started';
/** Close every connection now and exit. */
export const WORKER_SHUTDOWN = 'gateway:shutdown';
/** Stop accepting, close connections spread over the drain timeout, exit. */
export const WORKER_DRAIN = 'gateway:drain';
/** Prepare this configuration and swap it in: a WorkerReload. */
export const WORKER_RELOAD = 'gateway:reload';
/** A worker's answer to WORKER_RELOAD: `{ event: WORKER_RELOADED, ok, generation }`. */
export const WORKER_RELOADED = 'gateway:reloaded';
/** A starting worker asks for the configuration in force with `{ type: WORKER_CONFIG, id }`; the answer is a WorkerConfig. */
export const WORKER_CONFIG = 'gateway:config';
/** The primary refused a reload (the configuration did not prepare): `{ event: WORKER_RELOAD_REFUSED, reason }`, so each worker counts the failure. */
export const WORKER_RELOAD_REFUSED = 'gateway:reload-refused';

export interface WorkerReload {
  readonly event: typeof WORKER_RELOAD;
  /** Which reload this is, for the answers. */
  readonly generation: number;
  /** The configuration file's content as the primary checked it, in base64. */
  readonly config: string;
}

/** The primary's answer to a starting worker's `{ type: WORKER_CONFIG, id }`. */
interface WorkerConfig {
  readonly type: typeof WORKER_CONFIG;
  readonly id: number;
  /** The content of the configuration file in force, in base64. */
  readonly config: string;
  /** The secret every worker derives its TLS session ticket keys from (tls/tickets.ts), hex-encoded. */
  readonly ticketSecret: string;
}

/** How long a starting worker waits for the primary to answer WORKER_CONFIG. */
const CONFIG_REQUEST_TIMEOUT_MS = 30_000;

/** A message `{ event, … }` of the given event, from the primary or a worker. */
export function isEvent<T extends object>(message: unknown, event: string): message is { event: string } & T {
  return typeof message === 'object' && message !== null && (message as { event?: unknown }).event === event;
}
/** How long a worker may take to close its connections before it is killed, beyond its drain timeout. */
const WORKER_STOP_MARGIN_MS = 15_000;
/** A worker that lived less than this counts as a crash in a row: the next replacement waits longer. */
const WORKER_STABLE_MS = 10_000;
const REPLACEMENT_FIRST_DELAY_MS = 250;
const REPLACEMENT_MAX_DELAY_MS = 30_000;

/** Tells the primary that this worker's listeners are bound; a no-op outside a cluster. */
export function reportStarted(): void {
  if (cluster.isWorker && process.send) process.send(WORKER_STARTED);
}

/** A configuration the workers run, and the file's content it was prepared from. */
interface Checked {
  readonly config: GatewayConfig;
  readonly bytes: Buffer;
}

/**
 * In a worker: the content of the configuration file the workers run, from the primary, which also gives the secret
 * of the session ticket keys, so that a client resumes its session on whichever worker it reaches.
 */
export async function configurationInForce(): Promise<Buffer> {
  const reply = await askPrimary<WorkerConfig>({
    request: { type: WORKER_CONFIG },
    replyType: WORKER_CONFIG,
    deadlineMs: CONFIG_REQUEST_TIMEOUT_MS,
    late: () => new GatewayError('GW_ERR_INTERNAL', `the primary process did not send the configuration in force within ${CONFIG_REQUEST_TIMEOUT_MS / 1000} s`),
    unreachable: () => new GatewayError('GW_ERR_INTERNAL', 'the primary process is gone: there is no configuration in force to start from'),
  });
  useTicketSecret(reply.ticketSecret);
  return Buffer.from(reply.config, 'base64');
}

export function runPrimary(count: number, source: ReloadSource, drainTimeoutMs: number, log: Logger): Promise<number> {
  // The primary serves no TLS, and gives its ticket secret to every worker that starts: it moves it on as they do.
  setInterval(() => moveTicketSecretOn(), TICKET_KEY_LIFETIME_MS / 4).unref();
  const bytes = configBytes(source.configPath);
  const checked = prepare(source.configPath, source.defines, log, {}, bytes);
  const { gateway: prepared, config } = checked;
  if (!prepared || !config || bytes === undefined) {
    logDiagnostics(log, checked.errors);
    log.fatal('Gateway failed to launch');
    return Promise.resolve(EXIT.INVALID);
  }
  log.info(`Starting ${count} workers`);
  // A worker asked for /metrics asks here, and is answered with every worker's metrics summed.
  serveClusterMetrics();
  const started = new Set<Worker>();
  // A management request taken by one worker is put to every started one.
  serveClusterManagement(() => started);
  let stopping: 'drain' | 'stop' | undefined;
  let stopWatching: (() => void) | undefined;
  /** Workers lost in a row, each soon after it was forked: how long the next replacement waits. */
  let crashes = 0;
  let replacing: NodeJS.Timeout | undefined;

  return new Promise((resolve) => {
    const live = (): Worker[] => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    let exitsWatched = false;
    const stopAll = (code: number, how: 'drain' | 'stop') => {
      if (stopping === 'stop' || stopping === how) return;
      stopping = how;
      stopWatching?.();
      clearTimeout(replacing);
      const workers = live();
      if (workers.length === 0) return resolve(code);
      let left = workers.length;
      const deadlineMs = (how === 'drain' ? drainTimeoutMs : 0) + WORKER_STOP_MARGIN_MS;
      for (const w of workers) {
        const deadline = setTimeout(() => w.process.kill('SIGKILL'), deadlineMs);
        deadline.unref();
        w.once('exit', () => clearTimeout(deadline));
        if (!exitsWatched) w.once('exit', () => --left === 0 && resolve(code));
        if (w.isConnected()) w.send(how === 'drain' ? WORKER_DRAIN : WORKER_SHUTDOWN);
      }
      exitsWatched = true;
    };

    /**
     * What every worker runs or is brought to, and what a worker that starts is given. A reload is in force once the
     * primary has checked it, against this too: one that a running worker would refuse (an address changing between
     * TLS and plain) is refused here, so that workers never serve an address two ways.
     */
    const configurations = new WorkerConfigurations<Worker, Checked>({ config, bytes });
    /**
     * How each address is served (TLS or plain, HTTP or a byte stream), fixed by the first configuration that named it
     * for the primary's life: the workers may each run another of the configurations checked since, and no two may
     * serve an address two ways.
     */
    const served = prepared.listenerModes();
    const send = (w: Worker, message: unknown): boolean => {
      if (!w.isConnected()) return false;
      w.send(message as Parameters<Worker['send']>[0]);
      return true;
    };
    const sendReload = (w: Worker, { content, generation } = configurations.inForce): boolean =>
      send(w, { event: WORKER_RELOAD, generation, config: content.bytes.toString('base64') } satisfies WorkerReload);
    /** Workers asked to take the latest proposal and not yet answered: not sent the configuration in force meanwhile. */
    const asked = new Set<Worker>();
    /** Checks the configuration before the workers reload, one check at a time. */
    const checks = new Coalescing(async (why: string): Promise<void> => {
      if (stopping) return;
      log.info({ event: 'reload', why }, `Checking the configuration before the workers reload (${why})`);
      const inForce = configurations.inForce.content;
      const before = fileStates(configurationFiles(source, inForce.config));
      // What the workers are sent is exactly what was checked, whatever the file holds by the time they would read it.
      const content = configBytes(source.configPath);
      const again = await prepareAgain(source, log, undefined, content);
      if (stopping) return;
      const problems = again.gateway ? again.gateway.modeProblems(served).map(toDiagnostic) : [];
      if (problems.length > 0) logDiagnostics(log, problems);
      if (!again.gateway || !again.config || content === undefined || problems.length > 0) {
        const reason = describeFailure(problems.length > 0 ? problems : again.errors);
        // As reload.ts does: what the failed configuration names is watched too, from before the line is logged.
        watch(inForce.config, again.config ?? again.partial);
        log.error({ event: 'reload', result: 'failure', code: 'GW_ERR_RELOAD' }, `Reload failed, the configuration in force stays (in every worker): ${reason}`);
        for (const w of started) send(w, { event: WORKER_RELOAD_REFUSED, reason });
        againIfChanged(before);
        return;
      }
      for (const [where, mode] of again.gateway.listenerModes()) if (!served.has(where)) served.set(where, mode);
      const proposal = configurations.propose({ config: again.config, bytes: content });
      watch(inForce.config, again.config);
      asked.clear();
      for (const w of started) if (sendReload(w, proposal)) asked.add(w);
      // No worker to take it (all lost, their replacements not started): the next one to start is given it.
      if (asked.size === 0) configurations.adopt(proposal.generation);
      againIfChanged(before);
    });
    const reload = (why: string): void => {
      if (stopping) return;
      checks.request(why).catch((err: unknown) => {
        log.error({ event: 'reload', result: 'failure', code: 'GW_ERR_RELOAD' }, `Reload failed, the configuration in force stays (in every worker): ${String(err)}`);
      });
    };
    /** A change made while the files were read may have been seen only by the watcher just replaced. */
    const againIfChanged = (before: ReadonlyMap<string, string>): void => {
      const changed = changedSince(before);
      if (changed.length > 0) setImmediate(() => reload(`changed during the reload: ${changed.join(', ')}`));
    };
    const watch = (config: typeof checked.config, attempted?: typeof checked.config): void => {
      stopWatching?.();
      const files = [...new Set([...configurationFiles(source, config), ...(attempted ? configurationFiles(source, attempted) : [])])];
      stopWatching = watchFiles(files, (changed) => reload(`changed: ${changed.join(', ')}`), {
        onWatchError: (dir, err) => log.warn({ dir, reason: err instanceof Error ? err.message : String(err) }, `cannot watch ${dir} for changes; SIGHUP still reloads`),
      });
    };

    /**
     * `replacement`: forked for a worker that was lost after the gateway had started. Until every first worker has
     * started, a worker that fails to start means the gateway cannot launch; after, the others serve on, and one that
     * fails (a configuration broken on disk since, whose reload was refused) is tried again, each time later.
     */
    const fork = (replacement: boolean) => {
      const worker = cluster.fork({ [WORKERS_ENV]: String(count) });
      const forkedAt = Date.now();
      // A message to a worker whose channel has just closed fails with an 'error' on it, which would otherwise end
      // the primary and every worker with it; the worker's exit is handled below.
      worker.on('error', (err: Error) => log.debug({ worker: worker.id, reason: err.message }, `a message to worker ${worker.id} was not delivered`));
      worker.on('message', (message: unknown) => {
        if (isMessage<{ type: typeof WORKER_CONFIG; id: number }>(message, WORKER_CONFIG)) {
          const given = configurations.give(worker).content;
          send(worker, { type: WORKER_CONFIG, id: message.id, config: given.bytes.toString('base64'), ticketSecret: ticketSecret() } satisfies WorkerConfig);
          return;
        }
        if (isEvent<{ ok: boolean; generation: number }>(message, WORKER_RELOADED)) {
          asked.delete(worker);
          if (message.ok) {
            log.info({ worker: worker.id, event: 'reload', result: 'success' }, `worker ${worker.id} reloaded`);
            if (configurations.took(worker, message.generation)) {
              watch(configurations.inForce.content.config);
              // Workers that started while it was proposed were given the configuration before it.
              for (const w of started) if (!asked.has(w) && configurations.behind(w) && w !== worker) sendReload(w);
            }
          } else {
            // The primary checked what a worker could refuse for good; what is left is the worker's own (a store it
            // read otherwise), and it serves what it had.
            log.error({ worker: worker.id, event: 'reload', result: 'failure' }, `worker ${worker.id} could not reload and keeps its configuration (see its log): the others may serve another; restart it if it does not reload again`);
          }
          return;
        }
        if (message !== WORKER_STARTED) return;
        started.add(worker);
        // Given the configuration before a reload that was sent while it started: it is brought to the one in force.
        if (configurations.behind(worker)) sendReload(worker);
        log.info({ worker: worker.id, pid: worker.process.pid }, `worker ${worker.id} started`);
        // A stop or drain sent while it was starting came before it listened for one: it is told again.
        if (stopping && worker.isConnected()) worker.send(stopping === 'drain' ? WORKER_DRAIN : WORKER_SHUTDOWN);
      });
      worker.once('exit', (code, signal) => {
        const wasStarted = started.delete(worker);
        configurations.forget(worker);
        asked.delete(worker);
        if (stopping) return;
        const how = signal ? `signal ${signal}` : `code ${code}`;
        if (!wasStarted && !replacement) {
          log.fatal({ worker: worker.id }, `worker ${worker.id} exited with ${how} while starting: Gateway failed to launch`);
          stopAll(code === EXIT.INVALID ? EXIT.INVALID : EXIT.RUNTIME, 'stop');
          return;
        }
        crashes = Date.now() - forkedAt < WORKER_STABLE_MS ? crashes + 1 : 0;
        // The first loss is replaced at once; losses in a row wait 0.25, 0.5, 1 … 30 s.
        const delayMs = crashes < 2 ? 0 : Math.min(REPLACEMENT_MAX_DELAY_MS, REPLACEMENT_FIRST_DELAY_MS * 2 ** (crashes - 2));
        const what = wasStarted ? `exited with ${how}` : `exited with ${how} while starting (see its log)`;
        log.error({ worker: worker.id, delayMs }, `worker ${worker.id} ${what}: starting a replacement${delayMs > 0 ? ` in ${delayMs / 1000} s` : ''}`);
        replacing = setTimeout(() => {
          if (!stopping) fork(true);
        }, delayMs);
      });
    };
    for (let i = 0; i < count; i++) fork(false);
    watch(checked.config);
    process.on('SIGINT', (signal) => {
      log.info(`${signal} received: stopping ${count} workers`);
      stopAll(EXIT.OK, 'stop');
    });
    process.on('SIGTERM', (signal) => {
      if (stopping === 'drain') {
        log.info(`${signal} again: stopping ${count} workers now`);
        stopAll(EXIT.OK, 'stop');
        return;
      }
      log.info(`${signal} received: draining ${count} workers (at most ${drainTimeoutMs / 1000} s)`);
      stopAll(EXIT.OK, 'drain');
    });
    process.on('SIGHUP', () => reload('SIGHUP'));
  });
}
