/**
 * Idle connections: resident memory of the serving processes before and after N connections are open and proxied
 * (each has carried one message to the sink and back, so the upstream side exists too). "Before" is taken after a
 * short warm-up of a few connections, so start-up allocations of the first connection are not charged to all.
 */
import { openLink, receive, type Link } from '../client/link.js';
import { treeMemory, type TreeMemory } from '../memory.js';
import type { Row } from '../report/types.js';
import type { RunningSystem, SystemSpec } from '../systems/types.js';
import type { Scenario, ScenarioContext } from './types.js';

const MESSAGE = Buffer.alloc(32, 0x63);
const OPEN_CONCURRENCY = 32;
const WARMUP = 16;
/** Lets the serving processes finish what the last connections started (lazy frees, worker hand-offs). */
const SETTLE_MS = 1000;

async function openProxied(system: RunningSystem, ctx: ScenarioContext): Promise<Link> {
  const link = await openLink(system.endpoint, ctx.tls);
  try {
    const echoed = receive(link, MESSAGE.length);
    link.socket.write(link.frame(MESSAGE));
    await echoed;
    return link;
  } catch (err) {
    link.destroy();
    throw err;
  }
}

async function openMany(system: RunningSystem, ctx: ScenarioContext, count: number, into: Link[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      into.push(await openProxied(system, ctx));
    }
  };
  await Promise.all(Array.from({ length: Math.min(OPEN_CONCURRENCY, count) }, worker));
}

function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, SETTLE_MS));
}

export const idle: Scenario = {
  group: 'idle',
  description: 'resident memory of the serving process tree before and after N open, proxied, idle connections',
  needsServer: true,
  ownStart: true,
  async run(system: RunningSystem, spec: SystemSpec, ctx: ScenarioContext): Promise<Row[]> {
    await ctx.sink.mode('echo');
    const count = Math.max(1, Math.round(ctx.profile.idleConnections * (spec.idleShare ?? 1)));
    if (count < ctx.profile.idleConnections) ctx.note(`${spec.name}: idle: ${count} connections instead of ${ctx.profile.idleConnections} (a process per connection)`);
    const links: Link[] = [];
    try {
      await openMany(system, ctx, WARMUP, links);
      await Promise.all(links.splice(0).map((l) => l.close()));
      await settle();
      const before: TreeMemory = treeMemory(system.pids);
      await openMany(system, ctx, count, links);
      await settle();
      const after: TreeMemory = treeMemory(system.pids);
      const scenario = 'idle';
      const perRss = (after.rssKiB - before.rssKiB) / count;
      const perPss = (after.pssKiB - before.pssKiB) / count;
      ctx.note(
        `${spec.name}: idle ${count}: RSS ${(before.rssKiB / 1024).toFixed(1)} → ${(after.rssKiB / 1024).toFixed(1)} MiB ` +
          `(${after.processes} processes), ${perRss.toFixed(1)} KiB/connection (PSS ${perPss.toFixed(1)})`,
      );
      return [
        { scenario, system: spec.name, metric: 'connections', value: count, unit: 'conn' },
        { scenario, system: spec.name, metric: 'rss before', value: before.rssKiB / 1024, unit: 'MiB' },
        { scenario, system: spec.name, metric: 'rss after', value: after.rssKiB / 1024, unit: 'MiB' },
        { scenario, system: spec.name, metric: 'rss per connection', value: perRss, unit: 'KiB' },
        { scenario, system: spec.name, metric: 'pss per connection', value: perPss, unit: 'KiB' },
      ];
    } finally {
      for (const l of links) l.destroy();
    }
  },
};
