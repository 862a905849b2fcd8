/**
 * Bulk throughput, client to backend: one connection writes messages of a fixed size as fast as the system takes
 * them, and the time runs until the sink has received every payload byte. The client writes pre-built batches of
 * masked frames (~64 KiB per write), so its own cost per message is a memory copy; the system under test still
 * parses and unmasks each frame.
 */
import { openLink, REPLY_TIMEOUT_MS } from '../client/link.js';
import { within } from '../timeout.js';
import type { Row } from '../report/types.js';
import type { Scenario, ScenarioContext } from './types.js';
import type { RunningSystem, SystemSpec } from '../systems/types.js';

const MiB = 1024 * 1024;
const BATCH_BYTES = 64 * 1024;

export const BULK_SIZES: readonly { label: string; bytes: number }[] = [
  { label: '64 KiB', bytes: 64 * 1024 },
  { label: '4 KiB', bytes: 4 * 1024 },
  { label: '512 B', bytes: 512 },
];

/** Writes `batch` until `payloadTarget` payload bytes are written or the deadline passes; returns payload bytes written. */
async function pump(socket: import('node:net').Socket, batch: Buffer, payloadPerBatch: number, payloadTarget: number, deadline: number): Promise<number> {
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

async function bulkOne(system: RunningSystem, ctx: ScenarioContext, messageBytes: number): Promise<number> {
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
    const warm = await pump(link.socket, batch, payloadPerBatch, ctx.profile.bulkWarmupBytes, Number.POSITIVE_INFINITY);
    await within(ctx.sink.reached(warm), REPLY_TIMEOUT_MS, `the sink receiving the ${warm} warm-up bytes`);

    await ctx.sink.reset();
    const start = performance.now();
    const deadline = start + ctx.profile.bulkMaxSeconds * 1000;
    const sent = await pump(link.socket, batch, payloadPerBatch, ctx.profile.bulkBytes, deadline);
    // The clock stops when the sink has everything, or at the deadline with what it has by then: a proxy that
    // queues without bound (websockify) accepts far more than it forwards, and only the sink's count is honest.
    const all = ctx.sink.reached(sent).then(() => sent);
    let timer: NodeJS.Timeout | undefined;
    const atDeadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), Math.max(0, deadline - performance.now()))));
    const first = await Promise.race([all, atDeadline]);
    clearTimeout(timer);
    const received = first === 'deadline' ? await ctx.sink.count() : first;
    const seconds = (performance.now() - start) / 1000;
    return received / MiB / seconds;
  } finally {
    link.destroy();
    await quiet(ctx);
  }
}

/** Waits until bytes a proxy still had queued stop arriving, so that they are not counted in the next run. */
async function quiet(ctx: ScenarioContext): Promise<void> {
  let last = await ctx.sink.count();
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await ctx.sink.count();
    if (now === last) return;
    last = now;
  }
}

export const bulk: Scenario = {
  group: 'bulk',
  description: 'one connection, client → backend, messages of 64 KiB, 4 KiB and 512 B; MiB/s of payload received by the sink',
  async run(system: RunningSystem, spec: SystemSpec, ctx: ScenarioContext): Promise<Row[]> {
    const rows: Row[] = [];
    for (const size of BULK_SIZES) {
      const value = await bulkOne(system, ctx, size.bytes);
      rows.push({ scenario: `bulk ${size.label}`, system: spec.name, metric: 'throughput', value, unit: 'MiB/s' });
      ctx.note(`${spec.name}: bulk ${size.label}: ${value.toFixed(1)} MiB/s`);
    }
    return rows;
  },
};
