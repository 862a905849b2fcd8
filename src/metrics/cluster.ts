/**
 * Metrics summed over `--workers`. Each worker keeps its own registry; a worker asked for /metrics asks the primary,
 * which gathers every worker's registry with prom-client's AggregatorRegistry (its own IPC messages) and answers
 * with the sum. Outside a cluster a process answers from its own registry.
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { GatewayError } from '../errors.js';
import { askPrimary, isMessage } from '../ipc.js';

const REQUEST = 'gateway:metrics-request';
const RESPONSE = 'gateway:metrics-response';
/** prom-client gives up on a worker after 5 s; the primary's answer gets a little longer. */
const RESPONSE_DEADLINE_MS = 6000;

interface MetricsRequest {
  readonly type: typeof REQUEST;
  readonly id: number;
}

interface MetricsResponse {
  readonly type: typeof RESPONSE;
  readonly id: number;
  readonly text?: string;
  readonly error?: string;
}

/** In the primary: answers the workers' requests for the metrics of all of them. */
export function serveClusterMetrics(): () => void {
  const aggregator = new AggregatorRegistry();
  const onMessage = (worker: { send(message: MetricsResponse): boolean }, message: unknown): void => {
    if (!isMessage<MetricsRequest>(message, REQUEST)) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: RESPONSE, id: message.id, text }),
      (err: unknown) => worker.send({ type: RESPONSE, id: message.id, error: err instanceof Error ? err.message : String(err) }),
    );
  };
  cluster.on('message', onMessage);
  return () => cluster.off('message', onMessage);
}

/**
 * How this process reads its metrics as Prometheus text: in a worker, every worker's summed by the primary (this
 * worker's registry is the one offered to it); otherwise its own registry.
 */
export function metricsReader(registry: Registry): () => Promise<string> {
  if (!cluster.isWorker || !process.send) return () => registry.metrics();
  // The primary gathers through prom-client's AggregatorRegistry, which asks each worker for the registries given
  // here; constructing one installs the worker's side of that exchange.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  return async () => {
    const reply = await askPrimary<MetricsResponse>({
      request: { type: REQUEST },
      replyType: RESPONSE,
      deadlineMs: RESPONSE_DEADLINE_MS,
      late: () => new GatewayError('GW_ERR_METRICS', `the primary did not answer a request for metrics within ${RESPONSE_DEADLINE_MS} ms`),
      unreachable: () => new GatewayError('GW_ERR_METRICS', 'this worker has no primary to ask: its IPC channel is closed'),
    });
    if (reply.text !== undefined) return reply.text;
    throw new GatewayError('GW_ERR_METRICS', `gathering the workers' metrics failed: ${reply.error ?? 'no answer'}`);
  };
}
