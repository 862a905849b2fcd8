/**
 * Bulk throughput, client to backend: one connection writes messages of a fixed size as fast as the system takes
 * them, and the time runs until the sink has received every payload byte. The client writes pre-built batches of
 * masked frames (~64 KiB per write), so its own cost per message is a memory copy; the system under test still
 * parses and unmasks each frame.
 */
import { openLink, REPLY_TIMEOUT_MS } from '../client/link.js';
import { cpuMeter } from '../cpu.js';
import { perUnit } from '../stats.js';
import { within } from '../timeout.js';
import type { Row } from '../report/types.js';
import type { Scenario, ScenarioContext } from './types.js';
import type { RunningSystem, SystemSpec } from '../systems/types.js';

const MiB = 1024 * 1024;
const BATCH_BYTES = 64 * 1024;
const QUIET_MS = 200;

/** `64 KiB`, `4 KiB`, `512 B`: the scenario's name for a message size. */
export function sizeLabel(bytes: number): string {
  return bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`;
}

/** The rows of one bulk measurement: the rate, and (for a system with processes of its own) its CPU per unit. */
export function bulkRows(scenario: string, system: string, r: BulkResult, measuresCpu: boolean): Row[] {
  const rows: Row[] = [{ scenario, system, metric: 'throughput', value: r.rate, unit: 'MiB/s' }];
  if (measuresCpu) {
    rows.push(
      { scenario, system, metric: 'cpu per MiB', value: perUnit(r.cpuMs, r.mib), unit: 'ms/MiB' },
      { scenario, system, metric: 'cpu per message', value: perUnit(r.cpuMs * 1000, r.messages), unit: 'µs/msg' },
    );
  }
  return rows;
}

/** Writes `batch` until `payloadTarget` payload bytes are written or the deadline passes; returns payload bytes written. */
export async function pump(socket: import('node:net').Socket, batch: Buffer, payloadPerBatch: number, payloadTarget: number, deadline: number): Promise<number> {
  let sent = 0;
  while (sent < payloadTarget && performance.now() < deadline) {
    if (socket.destroyed) throw new Error(`the connection closed after ${sent} payload bytes`);
    sent += payloadPerBatch;
    if (!socket.write(batch)) {
      const drained = new Promise<void>((resolve, reject) => {
        const onClose = () => reject(new Error(`the connection closed after ${sent} payload bytes`));
        socket.once('close', onClose);
        socket.once('drain', () => {
          socket.off('close', onClose);
          resolve();
        });
      });
      await within(drained, REPLY_TIMEOUT_MS, `taking more data after ${sent} payload bytes`);
    }
  }
  return sent;
}

/**
 * The payload the sink has once it has all `sent` bytes, or at the deadline with what it has by then: a proxy that
 * queues without bound (websockify) accepts far more than it forwards, and only the sink's count is honest.
 */
export async function receivedBy(ctx: ScenarioContext, sent: number, deadline: number): Promise<number> {
  const all = ctx.sink.reached(sent).then(() => sent);
  let timer: NodeJS.Timeout | undefined;
  const atDeadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), Math.max(0, deadline - performance.now()))));
  const first = await Promise.race([all, atDeadline]);
  clearTimeout(timer);
  return first === 'deadline' ? await ctx.sink.count() : first;
}

export interface BulkResult {
  /** MiB/s of payload the sink received. */
  readonly rate: number;
  readonly mib: number;
  readonly messages: number;
  /** CPU the system under test used meanwhile, in milliseconds. */
  readonly cpuMs: number;
}

async function bulkOne(system: RunningSystem, ctx: ScenarioContext, messageBytes: number): Promise<BulkResult> {
  await ctx.sink.mode('discard');
  const link = await openLink(system.endpoint, ctx.tls);
  try {
    const payload = Buffer.alloc(messageBytes, 0x61);
    const perBatch = Math.max(1, Math.floor(BATCH_BYTES / messageBytes));
    const frame = link.frame(payload);
    const batch = Buffer.concat(Array.from({ length: perBatch }, () => frame));
    const payloadPerBatch = perBatch * messageBytes;

    // Warm-up: connection buffers, JIT and TCP windows settle before the clock starts.
    await ctx.sink.reset();
    const warm = await pump(link.socket, batch, payloadPerBatch, ctx.profile.bulkWarmupBytes, performance.now() + ctx.profile.bulkWarmupSeconds * 1000);
    await within(ctx.sink.reached(warm), REPLY_TIMEOUT_MS, `the sink receiving the ${warm} warm-up bytes`);

    await ctx.sink.reset();
    const cpu = cpuMeter(system.pids);
    const start = performance.now();
    const deadline = start + ctx.profile.bulkMaxSeconds * 1000;
    const sent = await pump(link.socket, batch, payloadPerBatch, ctx.profile.bulkBytes, deadline);
    const received = await receivedBy(ctx, sent, deadline);
    const seconds = (performance.now() - start) / 1000;
    const cpuMs = cpu();
    return { rate: received / MiB / seconds, mib: received / MiB, messages: received / messageBytes, cpuMs };
  } finally {
    link.destroy();
    await quiet(ctx);
  }
}

/** Waits until bytes a proxy still had queued stop arriving, so that they are not counted in the next run. */
export async function quiet(ctx: ScenarioContext): Promise<void> {
  let last = await ctx.sink.count();
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, QUIET_MS));
    const now = await ctx.sink.count();
    if (now === last) return;
    last = now;
  }
}

export const bulk: Scenario = {
  group: 'bulk',
  description: 'one connection, client → backend, messages of 64 KiB, 4 KiB (and 512 B); MiB/s of payload received by the sink, and the CPU the system used per MiB and per message',
  async run(system: RunningSystem, spec: SystemSpec, ctx: ScenarioContext): Promise<Row[]> {
    const rows: Row[] = [];
    for (const bytes of ctx.profile.bulkSizes) {
      const r = await bulkOne(system, ctx, bytes);
      rows.push(...bulkRows(`bulk ${sizeLabel(bytes)}`, spec.name, r, system.pids.length > 0));
      ctx.note(`${spec.name}: bulk ${sizeLabel(bytes)}: ${r.rate.toFixed(1)} MiB/s, ${perUnit(r.cpuMs, r.mib).toFixed(2)} ms CPU per MiB`);
    }
    return rows;
  },
};
