/**
 * Churn: many short connections, opened and closed with bounded concurrency, each a full mutual-TLS handshake, an
 * upgrade, one echoed message and a clean close (bench's churn connection). The gateway's descriptors and memory
 * are read after a warm-up and a settle period, and again after the run and the same settle period; nothing is
 * forced in between (no GC, no restart).
 */
import type { Endpoint } from '../../bench/client/link.js';
import { churnOnce } from '../../bench/scenarios/churn.js';
import { Sink } from '../../bench/sink-client.js';
import { percentiles } from '../../bench/stats.js';
import { startGateway } from '../gateway.js';
import { detectableLeakPerConnection, FD_BOUND, judgeGrowth, RSS_BOUND } from '../growth.js';
import { forEachLimited, sleep } from '../pool.js';
import type { Figure, ScenarioOutcome } from '../report/types.js';
import type { Scenario, SoakContext } from './types.js';

const ACCEPT = 'wss://127.0.0.1:0/churn';
/** Longer than the copy loop's 5 s close deadline, so that no connection is still closing when memory is read. */
const SETTLE_MS = 6000;
const CHECKPOINTS = 4;

export const churn: Scenario = {
  id: 'churn',
  title: 'Connection churn',
  async run(ctx: SoakContext): Promise<ScenarioOutcome> {
    const { churnConnections: count, churnWarmup: warmup, churnConcurrency: concurrency } = ctx.profile;
    const sink = await Sink.start(ctx.procs);
    const gw = await startGateway(ctx, {
      services: [
        {
          name: 'churn',
          accept: ACCEPT,
          type: 'proxy',
          connect: `tcp://127.0.0.1:${sink.port}`,
          acceptOptions: { 'ssl.verify-client': 'required' },
        },
      ],
    });
    const endpoint: Endpoint = { protocol: 'ws', host: '127.0.0.1', port: gw.port(ACCEPT), path: '/churn' };
    try {
      let failed = 0;
      let firstError: string | undefined;
      const latencies: number[] = [];
      const one = async () => {
        try {
          latencies.push(await churnOnce(endpoint, ctx.tls));
        } catch (err) {
          failed++;
          firstError ??= (err as Error).message;
        }
      };
      await forEachLimited(warmup, concurrency, one);
      await sleep(SETTLE_MS);
      const before = gw.stats();
      const warmupFailed = failed;
      failed = 0;
      latencies.length = 0;

      const trajectory: string[] = [];
      const start = performance.now();
      const step = Math.ceil(count / CHECKPOINTS);
      for (let done = 0; done < count; done += step) {
        await forEachLimited(Math.min(step, count - done), concurrency, one);
        const s = gw.stats();
        trajectory.push(`${Math.min(done + step, count)}: ${(s.rssKiB / 1024).toFixed(1)} MiB, ${s.fds} fds`);
      }
      const seconds = (performance.now() - start) / 1000;
      await sleep(SETTLE_MS);
      const after = gw.stats();
      const rss = judgeGrowth(before.rssKiB, after.rssKiB, RSS_BOUND);
      const fds = judgeGrowth(before.fds, after.fds, FD_BOUND);
      const [p50, p99] = percentiles(latencies, [50, 99]) as [number, number];
      const completed = latencies.length;
      ctx.note(`churn: ${completed} of ${count} in ${seconds.toFixed(0)} s (${failed} failed); RSS ${(rss.before / 1024).toFixed(1)} → ${(rss.after / 1024).toFixed(1)} MiB, fds ${fds.before} → ${fds.after}`);
      if (warmupFailed > 0) ctx.note(`churn: ${warmupFailed} of the ${warmup} warm-up connections failed`);

      const figures: Figure[] = [
        { metric: 'connections opened and closed', value: completed, unit: 'conn' },
        { metric: 'failures', value: failed, unit: 'conn' },
        { metric: 'rate', value: completed / seconds, unit: 'conn/s' },
        { metric: 'connect → echo p50', value: p50, unit: 'ms' },
        { metric: 'connect → echo p99', value: p99, unit: 'ms' },
        { metric: 'gateway fds before', value: fds.before, unit: 'fd' },
        { metric: 'gateway fds after', value: fds.after, unit: 'fd' },
        { metric: 'gateway RSS before', value: rss.before / 1024, unit: 'MiB' },
        { metric: 'gateway RSS after', value: rss.after / 1024, unit: 'MiB' },
        { metric: 'RSS growth per connection', value: rss.growth / Math.max(1, completed), unit: 'KiB/conn' },
        { metric: 'smallest steady leak this run detects', value: detectableLeakPerConnection(rss.before, RSS_BOUND, completed), unit: 'KiB/conn' },
      ];
      return {
        how:
          `${count} connections (after ${warmup} not measured), ${concurrency} at a time, each a new mutual-TLS connection, an upgrade, ` +
          `a 32-byte message and its echo through a proxy service to a TCP echo backend, and a clean close. The gateway's descriptors ` +
          `(/proc/PID/fd) and VmRSS are read ${SETTLE_MS / 1000} s after the warm-up and ${SETTLE_MS / 1000} s after the last connection; ` +
          `nothing is forced in between. Noise allowed: ${FD_BOUND.absolute} descriptors; ${RSS_BOUND.absolute / 1024} MiB + ` +
          `${RSS_BOUND.relative * 100} % of the RSS before (the collector and the allocator keep memory as they please).`,
        checks: [
          { goal: `${count} connections, 0 failures`, measured: `${completed} completed, ${failed} failed`, pass: completed === count && failed === 0 },
          {
            goal: `descriptors grow by at most ${fds.limit}`,
            measured: `${fds.before} → ${fds.after} (${fds.growth >= 0 ? '+' : ''}${fds.growth})`,
            pass: fds.pass,
          },
          {
            goal: `RSS grows by at most ${(rss.limit / 1024).toFixed(1)} MiB`,
            measured: `${(rss.before / 1024).toFixed(1)} → ${(rss.after / 1024).toFixed(1)} MiB (${rss.growth >= 0 ? '+' : ''}${(rss.growth / 1024).toFixed(1)} MiB)`,
            pass: rss.pass,
          },
        ],
        figures,
        details: `Gateway after each quarter of the run (connections done: RSS, descriptors): ${trajectory.join('; ')}.` + (firstError ? ` First failure: ${firstError}.` : ''),
      };
    } finally {
      await gw.stop();
      await ctx.procs.stop(sink.child);
    }
  },
};
