/**
 * Latency under a steady load: N connections share a fixed rate of 32-byte messages, sent open-loop (on a clock,
 * not after the previous reply) so a slow reply cannot hide the ones queued behind it. Each reply is timed from the
 * moment its message was written. The first moments (the profile's warm-up) are not counted.
 */
import { openLink, type Link } from '../client/link.js';
import { cpuMeter } from '../cpu.js';
import { percentiles, perUnit } from '../stats.js';
import type { Row } from '../report/types.js';
import type { RunningSystem, SystemSpec } from '../systems/types.js';
import type { Scenario, ScenarioContext } from './types.js';

const MESSAGE_BYTES = 32;
const TICK_MS = 1;
const DRAIN_TIMEOUT_MS = 10000;

class Timed {
  readonly sentAt: number[] = [];
  head = 0;
  received = 0;
  constructor(
    readonly link: Link,
    readonly wire: Buffer,
  ) {}
  get outstanding(): number {
    return this.sentAt.length - this.head;
  }
}

export async function latencyRun(
  system: RunningSystem,
  ctx: ScenarioContext,
  connections: number,
  rate: number,
  seconds: number,
): Promise<{ samples: number[]; lost: number; sent: number; cpuMs: number }> {
  const samples: number[] = [];
  // Set once every connection is open: opening 100 mutual-TLS connections can take longer than the warm-up.
  let measureFrom = Number.POSITIVE_INFINITY;
  const timed: Timed[] = [];
  try {
    for (let i = 0; i < connections; i++) {
      const link = await openLink(system.endpoint, ctx.tls);
      const t = new Timed(link, link.frame(Buffer.alloc(MESSAGE_BYTES, 0x64)));
      link.onBytes = (chunk) => {
        t.received += chunk.length;
        const now = performance.now();
        while (t.received >= MESSAGE_BYTES && t.head < t.sentAt.length) {
          t.received -= MESSAGE_BYTES;
          const sent = t.sentAt[t.head++] as number;
          if (sent >= measureFrom) samples.push(now - sent);
        }
      };
      timed.push(t);
    }
    const cpu = cpuMeter(system.pids);
    const start = performance.now();
    measureFrom = start + ctx.profile.latencyWarmupMs;
    const end = measureFrom + seconds * 1000;
    let sent = 0;
    let next = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = performance.now();
        const due = Math.floor(((Math.min(now, end) - start) / 1000) * rate);
        for (; sent < due; sent++) {
          const t = timed[next] as Timed;
          next = (next + 1) % timed.length;
          t.sentAt.push(performance.now());
          t.link.socket.write(t.wire);
        }
        if (now >= end) {
          clearInterval(timer);
          resolve();
        }
      }, TICK_MS);
    });
    await drained(timed);
    const cpuMs = cpu();
    const lost = timed.reduce((n, t) => n + t.outstanding, 0);
    return { samples, lost, sent, cpuMs };
  } finally {
    await Promise.all(timed.map((t) => t.link.close()));
  }
}

/** Resolves when every message has its reply, or after DRAIN_TIMEOUT_MS (the rest then count as lost). */
function drained(timed: readonly Timed[]): Promise<void> {
  return new Promise((resolve) => {
    const deadline = performance.now() + DRAIN_TIMEOUT_MS;
    const check = () => {
      if (timed.every((t) => t.outstanding === 0) || performance.now() > deadline) resolve();
      else setTimeout(check, 10);
    };
    check();
  });
}

export const latency: Scenario = {
  group: 'latency',
  description: 'round trip of 32-byte messages at a steady total rate over 100 connections, open-loop',
  async run(system: RunningSystem, spec: SystemSpec, ctx: ScenarioContext): Promise<Row[]> {
    await ctx.sink.mode('echo');
    const { latencyConnections, latencyRate, latencySeconds } = ctx.profile;
    const r = await latencyRun(system, ctx, latencyConnections, latencyRate, latencySeconds);
    if (r.samples.length === 0) throw new Error(`no reply came back (${r.lost} messages lost)`);
    if (r.lost > 0) ctx.note(`${spec.name}: latency: ${r.lost} messages had no reply`);
    const [p50, p99, p999] = percentiles(r.samples, [50, 99, 99.9]) as [number, number, number];
    ctx.note(`${spec.name}: latency: p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms, p99.9 ${p999.toFixed(3)} ms (${r.samples.length} samples)`);
    const scenario = 'latency';
    const rows: Row[] = [
      { scenario, system: spec.name, metric: 'p50', value: p50, unit: 'ms' },
      { scenario, system: spec.name, metric: 'p99', value: p99, unit: 'ms' },
      { scenario, system: spec.name, metric: 'p99.9', value: p999, unit: 'ms' },
    ];
    if (system.pids.length > 0) rows.push({ scenario, system: spec.name, metric: 'cpu per message', value: perUnit(r.cpuMs * 1000, r.sent), unit: 'µs/msg' });
    if (r.lost > 0) rows.push({ scenario, system: spec.name, metric: 'lost', value: r.lost, unit: 'messages' });
    return rows;
  },
};
