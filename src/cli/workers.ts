/**
 * `start --workers N`: N gateway processes sharing the listening sockets through node's cluster module (the primary
 * accepts and hands connections to the workers in turn, so they spread evenly). The primary checks the configuration
 * first, so a broken file fails once instead of in every worker; a worker that dies after starting is replaced, one
 * that dies while starting stops the whole gateway (it would only die again).
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { formatDiagnostic } from '../errors.js';
import { serveClusterMetrics } from '../metrics/cluster.js';
import { EXIT } from './exit-codes.js';
import { prepare } from './prepare.js';

export const WORKER_STARTED = 'gateway:started';
export const WORKER_SHUTDOWN = 'gateway:shutdown';
/** How long a worker may take to close its connections before it is killed. */
const WORKER_STOP_DEADLINE_MS = 15_000;

/** Tells the primary that this worker's listeners are bound; a no-op outside a cluster. */
export function reportStarted(): void {
  if (cluster.isWorker && process.send) process.send(WORKER_STARTED);
}

export function runPrimary(count: number, configPath: string | undefined, defines: Record<string, string>, log: Logger): Promise<number> {
  const checked = prepare(configPath, defines, log);
  if (!checked.gateway) {
    for (const e of checked.errors) log.error({ code: e.code }, formatDiagnostic('error', e.code, e.message, e.position, e.hint));
    log.fatal('Gateway failed to launch');
    return Promise.resolve(EXIT.INVALID);
  }
  log.info(`Starting ${count} workers`);
  // A worker asked for /metrics asks here, and is answered with every worker's metrics summed.
  serveClusterMetrics();
  const started = new Set<Worker>();
  let stopping = false;

  return new Promise((resolve) => {
    const stopAll = (code: number) => {
      if (stopping) return;
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      if (workers.length === 0) return resolve(code);
      let left = workers.length;
      for (const w of workers) {
        const deadline = setTimeout(() => w.process.kill('SIGKILL'), WORKER_STOP_DEADLINE_MS);
        deadline.unref();
        w.once('exit', () => {
          clearTimeout(deadline);
          if (--left === 0) resolve(code);
        });
        w.send(WORKER_SHUTDOWN);
      }
    };
    const fork = () => {
      const worker = cluster.fork();
      worker.on('message', (message: unknown) => {
        if (message !== WORKER_STARTED) return;
        started.add(worker);
        log.info({ worker: worker.id, pid: worker.process.pid }, `worker ${worker.id} started`);
      });
      worker.once('exit', (code, signal) => {
        if (stopping) return;
        const how = signal ? `signal ${signal}` : `code ${code}`;
        if (!started.has(worker)) {
          log.fatal({ worker: worker.id }, `worker ${worker.id} exited with ${how} while starting: Gateway failed to launch`);
          stopAll(code === EXIT.INVALID ? EXIT.INVALID : EXIT.RUNTIME);
          return;
        }
        started.delete(worker);
        log.error({ worker: worker.id }, `worker ${worker.id} exited with ${how}: starting a replacement`);
        fork();
      });
    };
    for (let i = 0; i < count; i++) fork();
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      log.info(`${signal} received: stopping ${count} workers`);
      stopAll(EXIT.OK);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
