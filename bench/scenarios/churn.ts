/**
 * Connection churn: each worker loops over new mutual-TLS connection → upgrade → one 32-byte message → its echo →
 * close. Latency is from the start of the connect to the echo; the rate counts connections completed, close
 * included. In `churn` every connection is a full handshake with certificates; in `resume` each worker offers the
 * TLS session its previous connection was given, as a device that reconnects does.
 */
import { openLink, receive, type ClientTls, type Endpoint, type Link } from '../client/link.js';
import { cpuMeter } from '../cpu.js';
import { percentiles, perUnit } from '../stats.js';
import type { Row } from '../report/types.js';
import type { RunningSystem, SystemSpec } from '../systems/types.js';
import type { Scenario, ScenarioContext } from './types.js';

const MESSAGE = Buffer.alloc(32, 0x62);

interface ChurnResult {
  /** CPU the client itself used, in percent of one core: near 100 means the client set the pace. */
  readonly clientCpu: number;
  /** CPU the system under test used, in milliseconds. */
  readonly cpuMs: number;
  readonly completed: number;
  /** Connections whose TLS session was resumed. */
  readonly resumed: number;
  readonly failed: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
  readonly firstError: Error | undefined;
}

export interface ChurnVisit {
  readonly latencyMs: number;
  /** The session to offer next time, when the server sent one. */
  readonly session: Buffer | undefined;
  readonly resumed: boolean;
}

/**
 * One connection's whole life: connect (TLS handshake included, resuming `session` when given), upgrade, one
 * message and its echo, a polite close. Resolves with the time from the start to the echo.
 */
export async function churnVisit(endpoint: Endpoint, tls: ClientTls, session?: Buffer): Promise<ChurnVisit> {
  const start = performance.now();
  let link: Link | undefined;
  try {
    link = await openLink(endpoint, tls, { session });
    const echoed = receive(link, MESSAGE.length);
    link.socket.write(link.frame(MESSAGE));
    await echoed;
    const latencyMs = performance.now() - start;
    await link.close();
    return { latencyMs, session: link.tlsSession, resumed: link.resumed };
  } catch (err) {
    link?.destroy();
    throw err;
  }
}

/** churnVisit without resumption, resolving with the latency alone. */
export async function churnOnce(endpoint: Endpoint, tls: ClientTls): Promise<number> {
  return (await churnVisit(endpoint, tls)).latencyMs;
}

/** What one run of churnLoop did. */
export interface ChurnTally {
  completed: number;
  failed: number;
  firstError: Error | undefined;
}

export interface ChurnLoopOptions {
  readonly clients: number;
  /** performance.now() at which no client starts another connection. */
  readonly deadline: number;
  /** Each client offers the session its previous connection was given. */
  readonly resume: boolean;
  /** No client starts another connection once the tally counts this many, completed or failed. */
  readonly connections?: number;
}

/**
 * `clients` clients, each connecting over and over (churnVisit) until the deadline or the tally's count; `visited`
 * sees each completed connection. `tls` as a function gives each connection its own (a fleet of devices). Returns
 * the tally of this run alone.
 */
export async function churnLoop(
  endpoint: Endpoint,
  tls: ClientTls | (() => ClientTls),
  opts: ChurnLoopOptions,
  visited: (visit: ChurnVisit) => void = () => undefined,
): Promise<ChurnTally> {
  const tally: ChurnTally = { completed: 0, failed: 0, firstError: undefined };
  const limit = opts.connections ?? Number.POSITIVE_INFINITY;
  const client = async (): Promise<void> => {
    let session: Buffer | undefined;
    while (performance.now() < opts.deadline && tally.completed + tally.failed < limit) {
      try {
        const visit = await churnVisit(endpoint, typeof tls === 'function' ? tls() : tls, opts.resume ? session : undefined);
        tally.completed++;
        session = visit.session ?? session;
        visited(visit);
      } catch (err) {
        tally.failed++;
        session = undefined;
        tally.firstError ??= err as Error;
        // A system that refuses everything would spin here: give up on this client after many failures.
        if (tally.failed > 100 && tally.failed > tally.completed) return;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, client));
  return tally;
}

/** Clients connecting over and over for `seconds`, or until `connections` have been made (completed or failed). */
export async function churnRun(system: RunningSystem, ctx: ScenarioContext, concurrency: number, seconds: number, resume: boolean, connections?: number): Promise<ChurnResult> {
  const latenciesMs: number[] = [];
  let resumed = 0;
  const cpu = cpuMeter(system.pids);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const loop = { clients: concurrency, deadline: start + seconds * 1000, resume, connections };
  const tally = await churnLoop(system.endpoint, ctx.tls, loop, (visit) => {
    latenciesMs.push(visit.latencyMs);
    if (visit.resumed) resumed++;
  });
  const elapsedMs = performance.now() - start;
  const cpuMs = cpu();
  const clientUsage = process.cpuUsage(cpuStart);
  const clientCpu = ((clientUsage.user + clientUsage.system) / 1000 / elapsedMs) * 100;
  return { clientCpu, cpuMs, completed: tally.completed, resumed, failed: tally.failed, seconds: elapsedMs / 1000, latenciesMs, firstError: tally.firstError };
}

function churnScenario(group: 'churn' | 'resume', description: string): Scenario {
  const resume = group === 'resume';
  return {
    group,
    description,
    needsTls: resume,
    async run(system: RunningSystem, spec: SystemSpec, ctx: ScenarioContext): Promise<Row[]> {
      await ctx.sink.mode('echo');
      const concurrency = ctx.profile.churnConcurrency;
      const warm = await churnRun(system, ctx, concurrency, ctx.profile.churnWarmupSeconds, resume, ctx.profile.churnWarmupConnections);
      const r = await churnRun(system, ctx, concurrency, ctx.profile.churnSeconds, resume);
      const scenario = `${group} c${concurrency}`;
      if (r.completed === 0) throw new Error(`no connection completed (${r.failed} failed): ${r.firstError?.message ?? 'unknown error'}`);
      if (r.failed > 0) ctx.note(`${spec.name}: ${scenario}: ${r.failed} connections failed, first: ${r.firstError?.message}`);
      const [p50, p99] = percentiles(r.latenciesMs, [50, 99]) as [number, number];
      const rate = r.completed / r.seconds;
      const rows: Row[] = [
        { scenario, system: spec.name, metric: 'connections', value: rate, unit: 'conn/s' },
        { scenario, system: spec.name, metric: 'p50', value: p50, unit: 'ms' },
        { scenario, system: spec.name, metric: 'p99', value: p99, unit: 'ms' },
      ];
      if (system.pids.length > 0) {
        rows.push({ scenario, system: spec.name, metric: 'cpu per connection', value: perUnit(r.cpuMs, r.completed), unit: 'ms/conn' });
        // What the scenario's first connections cost, while V8 still compiles their path: the price of a start, not of
        // a connection. In a run, churn's follow bulk's few connections and resume's follow churn's, so resume's is
        // the cost of the resumption path alone.
        if (warm.completed > 0) rows.push({ scenario, system: spec.name, metric: 'cpu per connection, warm-up', value: perUnit(warm.cpuMs, warm.completed), unit: 'ms/conn' });
      }
      if (resume) rows.push({ scenario, system: spec.name, metric: 'resumed', value: (r.resumed / r.completed) * 100, unit: '%' });
      if (r.failed > 0) rows.push({ scenario, system: spec.name, metric: 'failed', value: r.failed, unit: 'conn' });
      ctx.note(
        `${spec.name}: ${scenario}: ${rate.toFixed(0)} conn/s, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, ` +
          `${perUnit(r.cpuMs, r.completed).toFixed(2)} ms CPU per connection` +
          (system.pids.length > 0 ? ` (${perUnit(warm.cpuMs, warm.completed).toFixed(2)} over the warm-up's ${warm.completed} connections, ${warm.seconds.toFixed(1)} s)` : '') +
          (resume ? `, ${r.resumed} of ${r.completed} resumed` : '') +
          ` (client CPU ${r.clientCpu.toFixed(0)}% of a core)`,
      );
      return rows;
    },
  };
}

export const churn: Scenario = churnScenario('churn', 'new mutual-TLS connection, upgrade, one 32-byte message and its echo, close; every connection a full handshake');
export const resume: Scenario = churnScenario('resume', 'as churn, but each client offers the TLS session its previous connection was given (a device reconnecting)');
