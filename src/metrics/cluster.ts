/**
 * Metrics summed over `--workers`. Each worker keeps its own registry; a worker asked for /metrics asks the primary,
 * which gathers every worker's registry and answers with the sum (prom-client's `AggregatorRegistry.aggregate`).
 * Outside a cluster a process answers from its own registry.
 *
 * A worker that dies takes its counts with it, and a sum that falls reads to Prometheus as a counter reset: `rate()`
 * would then count every worker's whole total again as new. So the primary keeps what each worker reported at the
 * last scrape, and when the worker is gone, its counters and histograms (never its gauges) stay in the sum. What it
 * counted between that scrape and its death is lost; what was once reported never goes down.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';
import { GatewayError } from '../errors.js';
import { askPrimary, isMessage } from '../ipc.js';

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

const REQUEST = 'gateway:metrics-request';
const RESPONSE = 'gateway:metrics-response';
/** The primary's question to one worker, and its answer: that worker's registry as JSON. */
const GATHER = 'gateway:metrics-gather';
const GATHERED = 'gateway:metrics-gathered';
/** How long the primary waits for every worker's registry. */
const GATHER_DEADLINE_MS = 5000;
/** A worker's question to the primary waits for the gathering, and a little more. */
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

interface GatherRequest {
  readonly type: typeof GATHER;
  readonly id: number;
}

interface Gathered {
  readonly type: typeof GATHERED;
  readonly id: number;
  readonly metrics?: MetricsJson;
  readonly error?: string;
}

/** Counters and histograms only grow, so a dead worker's last report still counts; a gauge was only its present. */
function cumulative(metrics: MetricsJson): MetricsJson {
  // prom-client's types call `type` an enum; at run time it is the name ('counter', 'gauge', …).
  return metrics.filter((m) => {
    const type = m.type as unknown as string;
    return type === 'counter' || type === 'histogram';
  });
}

/** Every connected worker's registry, by worker id; fails if one does not answer in time. */
function gather(workers: readonly Worker[], id: number): Promise<Map<number, MetricsJson>> {
  return new Promise((resolve, reject) => {
    const answers = new Map<number, MetricsJson>();
    const pending = new Set(workers);
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      for (const w of workers) w.off('message', listeners.get(w)!);
      if (err) reject(err);
      else resolve(answers);
    };
    const timer = setTimeout(() => {
      const late = [...pending].map((w) => w.id).join(', ');
      finish(new GatewayError('GW_ERR_METRICS', `worker ${late} did not report its metrics within ${GATHER_DEADLINE_MS} ms`));
    }, GATHER_DEADLINE_MS);
    const listeners = new Map<Worker, (message: unknown) => void>();
    for (const w of workers) {
      const onMessage = (message: unknown): void => {
        if (!isMessage<Gathered>(message, GATHERED) || message.id !== id || !pending.has(w)) return;
        if (message.error !== undefined) return finish(new GatewayError('GW_ERR_METRICS', `worker ${w.id} could not read its metrics: ${message.error}`));
        answers.set(w.id, message.metrics ?? []);
        pending.delete(w);
        if (pending.size === 0) finish();
      };
      listeners.set(w, onMessage);
      w.on('message', onMessage);
      w.send({ type: GATHER, id } satisfies GatherRequest);
    }
    if (pending.size === 0) finish();
  });
}

/** Dead workers' reports are merged into one once there are more than this, so crash after crash cannot grow them. */
const RETIRED_PARTS_MAX = 8;

/** The counters and histograms of workers that are gone, to be summed with the live workers' at every scrape. */
export class RetiredCounts {
  #parts: MetricsJson[] = [];
  #compacting: Promise<void> | undefined;

  /** What to add to a sum: each a report or several merged. */
  get parts(): readonly MetricsJson[] {
    return this.#parts;
  }

  /** Keeps the cumulative part of a dead worker's last report. */
  add(lastReport: MetricsJson): void {
    this.#parts.push(cumulative(lastReport));
    if (this.#parts.length > RETIRED_PARTS_MAX && !this.#compacting) this.#compacting = this.#compact().finally(() => (this.#compacting = undefined));
  }

  /** Settles once no merge is under way; for tests. */
  async settled(): Promise<void> {
    while (this.#compacting) await this.#compacting;
  }

  async #compact(): Promise<void> {
    const taken = this.#parts.length;
    // Merging metrics of the same registry cannot fail: aggregate() throws only for an aggregator it does not know.
    const merged = await AggregatorRegistry.aggregate(this.#parts.slice(0, taken)).getMetricsAsJSON();
    // Reports of workers lost meanwhile were added after the ones merged; a scrape meanwhile read them all.
    this.#parts = [merged, ...this.#parts.slice(taken)];
  }
}

/** In the primary: answers the workers' requests for the metrics of all of them. */
export function serveClusterMetrics(): () => void {
  /** What each live worker reported at the last scrape. */
  const lastReported = new Map<number, MetricsJson>();
  const retired = new RetiredCounts();
  let nextId = 0;

  const onExit = (worker: Worker): void => {
    const last = lastReported.get(worker.id);
    lastReported.delete(worker.id);
    if (last) retired.add(last);
  };
  const sum = async (): Promise<string> => {
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
    const reports = await gather(workers, nextId++);
    // A worker that died during the gathering has already been retired with its report from the scrape before.
    for (const [id, metrics] of reports) if (cluster.workers?.[id]) lastReported.set(id, metrics);
    return AggregatorRegistry.aggregate([...reports.values(), ...retired.parts]).metrics();
  };
  const onMessage = (worker: Worker, message: unknown): void => {
    if (!isMessage<MetricsRequest>(message, REQUEST)) return;
    sum().then(
      (text) => worker.send({ type: RESPONSE, id: message.id, text } satisfies MetricsResponse),
      (err: unknown) => worker.send({ type: RESPONSE, id: message.id, error: err instanceof Error ? err.message : String(err) } satisfies MetricsResponse),
    );
  };
  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  return () => {
    cluster.off('message', onMessage);
    cluster.off('exit', onExit);
  };
}

/**
 * How this process reads its metrics as Prometheus text: in a worker, every worker's summed by the primary (this
 * worker answers the primary's gathering with its own registry); otherwise its own registry.
 */
export function metricsReader(registry: Registry): () => Promise<string> {
  if (!cluster.isWorker || !process.send) return () => registry.metrics();
  process.on('message', (message: unknown) => {
    if (!isMessage<GatherRequest>(message, GATHER)) return;
    const reply = (answer: Omit<Gathered, 'type' | 'id'>): void => {
      if (process.connected) process.send?.({ type: GATHERED, id: message.id, ...answer } satisfies Gathered);
    };
    registry.getMetricsAsJSON().then(
      (metrics) => reply({ metrics }),
      (err: unknown) => reply({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
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
