import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { PrometheusMetrics } from '../metrics/prometheus.js';
import { answerClusterQueries } from '../services/management/cluster.js';
import { localView } from '../services/management/view.js';
import { launch } from './launch.js';
import { DEFAULT_CONFIG, displayPath } from './paths.js';
import { prepare } from './prepare.js';
import { configurationInForce } from './workers.js';

/**
 * Runs the gateway until SIGINT/SIGTERM, reloading on SIGHUP. Resolves with the exit code when it has stopped or
 * failed to launch.
 */
export async function start(
  configPath: string | undefined,
  defines: Record<string, string>,
  log: Logger,
  options: { readonly onStarted?: () => void; readonly drainTimeoutMs?: number } = {},
): Promise<number> {
  const began = process.hrtime.bigint();
  log.info(`Configuration file: ${displayPath(configPath ?? DEFAULT_CONFIG)}`);
  // In a worker, /metrics is every worker's, summed by the primary, and the management API answers for every worker.
  // A worker runs the configuration the others run, which the file may no longer hold (a reload they refused).
  const bytes = cluster.isWorker ? await configurationInForce() : undefined;
  const prepared = prepare(
    configPath,
    defines,
    log,
    {
      metrics: new PrometheusMetrics({ cluster: cluster.isWorker }),
      worker: cluster.worker?.id,
      ...(options.drainTimeoutMs !== undefined ? { drainTimeoutMs: options.drainTimeoutMs } : {}),
    },
    bytes,
  );
  // Whichever worker a management request reaches asks the others through the primary; this worker answers from its
  // own connections (the source follows reloads).
  if (cluster.isWorker && prepared.gateway) answerClusterQueries(localView(prepared.gateway.management));
  return launch(prepared, log, { began, reload: { configPath, defines }, ...(options.onStarted ? { onStarted: options.onStarted } : {}) });
}
