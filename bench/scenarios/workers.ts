/**
 * Two cores' worth: the systems' multi-process modes (`bin/gateway start --workers N`, nginx `worker_processes N`, the
 * bare relay as N processes under node:cluster),
 * unpinned, with the client free to use every core too. Sixteen connections write 64 KiB messages at once; the
 * rate is the payload the sink received from all of them.
 */
import { openLink, REPLY_TIMEOUT_MS, type Link } from '../client/link.js';
import { cpuMeter } from '../cpu.js';
import { within } from '../timeout.js';
import type { Row } from '../report/types.js';
import type { RunningSystem, SystemSpec } from '../systems/types.js';
import { bulkRows, pump, quiet, receivedBy } from './bulk.js';
import type { Scenario, ScenarioContext } from './types.js';

const MiB = 1024 * 1024;
const MESSAGE_BYTES = 64 * 1024;

export const workers: Scenario = {
  group: 'workers',
  description: 'the multi-process modes, unpinned: 16 connections writing 64 KiB messages at once; MiB/s received by the sink from all',
  workers: true,
  ownStart: true,
  async run(system: RunningSystem, spec: SystemSpec, ctx: ScenarioContext): Promise<Row[]> {
    await ctx.sink.mode('discard');
    const count = ctx.profile.workersConnections;
    const links: Link[] = [];
    try {
      for (let i = 0; i < count; i++) links.push(await openLink(system.endpoint, ctx.tls));
      const batch = links[0]?.frame(Buffer.alloc(MESSAGE_BYTES, 0x65)) as Buffer;
      await ctx.sink.reset();
      const warmUntil = performance.now() + ctx.profile.workersWarmupSeconds * 1000;
      const warm = await Promise.all(links.map((l) => pump(l.socket, batch, MESSAGE_BYTES, ctx.profile.workersWarmupBytes, warmUntil)));
      const warmTotal = warm.reduce((a, b) => a + b, 0);
      await within(ctx.sink.reached(warmTotal), REPLY_TIMEOUT_MS, `the sink receiving the ${warmTotal} warm-up bytes`);

      await ctx.sink.reset();
      const cpu = cpuMeter(system.pids);
      const start = performance.now();
      const deadline = start + ctx.profile.workersSeconds * 1000;
      const perLink = Math.ceil(ctx.profile.bulkBytes / count);
      const sent = (await Promise.all(links.map((l) => pump(l.socket, batch, MESSAGE_BYTES, perLink, deadline)))).reduce((a, b) => a + b, 0);
      const received = await receivedBy(ctx, sent, deadline);
      const seconds = (performance.now() - start) / 1000;
      const r = { rate: received / MiB / seconds, mib: received / MiB, messages: received / MESSAGE_BYTES, cpuMs: cpu() };
      ctx.note(`${spec.name}: workers, ${count} connections: ${r.rate.toFixed(1)} MiB/s`);
      return bulkRows(`workers ${count}×64 KiB`, spec.name, r, system.pids.length > 0);
    } finally {
      for (const l of links) l.destroy();
      await quiet(ctx);
    }
  },
};
