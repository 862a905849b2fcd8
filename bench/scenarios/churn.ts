/**
 * Connection churn: each worker loops over new mutual-TLS connection → upgrade → one 32-byte message → its echo →
 * close. Latency is from the start of the connect to the echo; the rate counts connections completed, close
 * included. The client never resumes TLS sessions, so every connection is a full handshake with certificates.
 */
import { openLink, receive, type ClientTls, type Endpoint, type Link } from '../client/link.js';
import { percentiles } from '../stats.js';
import type { Row } from '../report/types.js';
import type { RunningSystem, SystemSpec } from '../systems/types.js';
import type { Scenario, ScenarioContext } from './types.js';

export const CHURN_CONCURRENCY: readonly number[] = [16, 64];
const MESSAGE = Buffer.alloc(32, 0x62);

interface ChurnResult {
  /** CPU the client itself used, in percent of one core: near 100 means the client set the pace. */
  readonly clientCpu: number;
  readonly completed: number;
  readonly failed: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
  readonly firstError: Error | undefined;
}

/**
 * One connection's whole life: connect (TLS handshake included), upgrade, one message and its echo, a polite close.
 * Resolves with the time from the start to the echo.
 */
export async function churnOnce(endpoint: Endpoint, tls: ClientTls): Promise<number> {
  const start = performance.now();
  let link: Link | undefined;
  try {
    link = await openLink(endpoint, tls);
    const echoed = receive(link, MESSAGE.length);
    link.socket.write(link.frame(MESSAGE));
    await echoed;
    const latency = performance.now() - start;
    await link.close();
    return latency;
  } catch (err) {
    link?.destroy();
    throw err;
  }
}

export async function churnRun(system: RunningSystem, ctx: ScenarioContext, concurrency: number, seconds: number): Promise<ChurnResult> {
  const latenciesMs: number[] = [];
  let failed = 0;
  let firstError: Error | undefined;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const deadline = start + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      try {
        latenciesMs.push(await churnOnce(system.endpoint, ctx.tls));
      } catch (err) {
        failed++;
        firstError ??= err as Error;
        // A system that refuses everything would spin here: give up on this worker after many failures in a row.
        if (failed > 100 && failed > latenciesMs.length) return;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const clientCpu = ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100;
  return { clientCpu, completed: latenciesMs.length, failed, seconds: elapsedMs / 1000, latenciesMs, firstError };
}

export const churn: Scenario = {
  group: 'churn',
  description: 'new mutual-TLS connection, upgrade, one 32-byte message and its echo, close; 16 and 64 at a time',
  async run(system: RunningSystem, spec: SystemSpec, ctx: ScenarioContext): Promise<Row[]> {
    await ctx.sink.mode('echo');
    const rows: Row[] = [];
    for (const concurrency of CHURN_CONCURRENCY) {
      const r = await churnRun(system, ctx, concurrency, ctx.profile.churnSeconds);
      if (r.completed === 0) throw new Error(`no connection completed (${r.failed} failed): ${r.firstError?.message ?? 'unknown error'}`);
      if (r.failed > 0) ctx.note(`${spec.name}: churn c${concurrency}: ${r.failed} connections failed, first: ${r.firstError?.message}`);
      const [p50, p99] = percentiles(r.latenciesMs, [50, 99]) as [number, number];
      const scenario = `churn c${concurrency}`;
      const rate = r.completed / r.seconds;
      rows.push(
        { scenario, system: spec.name, metric: 'connections', value: rate, unit: 'conn/s' },
        { scenario, system: spec.name, metric: 'p50', value: p50, unit: 'ms' },
        { scenario, system: spec.name, metric: 'p99', value: p99, unit: 'ms' },
      );
      if (r.failed > 0) rows.push({ scenario, system: spec.name, metric: 'failed', value: r.failed, unit: 'conn' });
      ctx.note(
        `${spec.name}: ${scenario}: ${rate.toFixed(0)} conn/s, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms ` +
          `(client CPU ${r.clientCpu.toFixed(0)}% of a core)`,
      );
    }
    return rows;
  },
};
