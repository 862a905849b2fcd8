import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { PrometheusMetrics } from '../metrics/prometheus.js';
import { launch } from './launch.js';
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
  // In a worker, /metrics is every worker's, summed by the primary.
  const metrics = new PrometheusMetrics({ cluster: cluster.isWorker });
  return launch(prepare(configPath, defines, log, metrics), log, { began, onStarted });
}
