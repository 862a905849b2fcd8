/**
 * Concurrent connections held: N mutual-TLS WebSocket connections, each proxied to the TCP echo backend and
 * echoing one message when it opens, all held open together, then every one echoing once more. The gateway's
 * memory and descriptors are read before (after a warm-up) and at the peak.
 */
import { openLink, receive, type Endpoint, type Link } from '../../bench/client/link.js';
import { Sink } from '../../bench/sink-client.js';
import { startGateway } from '../gateway.js';
import { forEachLimited, sleep } from '../pool.js';
import { Sampler } from '../sampler.js';
import type { ScenarioOutcome } from '../report/types.js';
import type { Scenario, SoakContext } from './types.js';

const ACCEPT = 'wss://127.0.0.1:0/held';
const MESSAGE = Buffer.alloc(32, 0x68);
const OPEN_CONCURRENCY = 32;
const ECHO_CONCURRENCY = 64;
const WARMUP = 16;
const SETTLE_MS = 1000;

/** Opens a link and waits for the echo of one message; the link is destroyed if that fails. */
export async function openEchoing(endpoint: Endpoint, ctx: SoakContext): Promise<Link> {
  const link = await openLink(endpoint, ctx.tls);
  try {
    await echoOnce(link);
    return link;
  } catch (err) {
    link.destroy();
    throw err;
  }
}

export async function echoOnce(link: Link, timeoutMs?: number): Promise<void> {
  const echoed = receive(link, MESSAGE.length, timeoutMs);
  link.socket.write(link.frame(MESSAGE));
  await echoed;
}

class Failures {
  count = 0;
  first: string | undefined;
  add(err: unknown): void {
    this.count++;
    this.first ??= err instanceof Error ? err.message : String(err);
  }
}

export const held: Scenario = {
  id: 'held',
  title: 'Concurrent mutual-TLS connections held',
  async run(ctx: SoakContext): Promise<ScenarioOutcome> {
    const count = ctx.profile.heldConnections;
    const sink = await Sink.start(ctx.procs);
    const gw = await startGateway(ctx, {
      fileLimit: count * 2 + 1024,
      services: [
        {
          name: 'held',
          accept: ACCEPT,
          type: 'proxy',
          connect: `tcp://127.0.0.1:${sink.port}`,
          // Set above the count so that the default limit (10,000 per listening address) is not what is measured.
          acceptOptions: { 'ssl.verify-client': 'required', 'tcp.maximum.connections': String(count + 1000) },
        },
      ],
    });
    const endpoint: Endpoint = { protocol: 'ws', host: '127.0.0.1', port: gw.port(ACCEPT), path: '/held' };
    const links: Link[] = [];
    const sampler = new Sampler(gw.pid, 500);
    try {
      await forEachLimited(WARMUP, 8, async () => void links.push(await openEchoing(endpoint, ctx)));
      await Promise.all(links.splice(0).map((l) => l.close()));
      await sleep(SETTLE_MS);
      const before = sampler.take();

      const openFailures = new Failures();
      const openStart = performance.now();
      await forEachLimited(count, OPEN_CONCURRENCY, async () => {
        try {
          links.push(await openEchoing(endpoint, ctx));
        } catch (err) {
          openFailures.add(err);
        }
      });
      const openSeconds = (performance.now() - openStart) / 1000;
      ctx.note(`held: ${links.length} of ${count} open in ${openSeconds.toFixed(1)} s (${openFailures.count} failed${openFailures.first ? `, first: ${openFailures.first}` : ''})`);
      await sleep(SETTLE_MS);
      const atPeak = sampler.take();

      let dropped = 0;
      for (const l of links) l.socket.once('close', () => dropped++);
      await sleep(ctx.profile.holdSeconds * 1000);
      const droppedWhileHeld = dropped;

      const echoFailures = new Failures();
      await forEachLimited(links.length, ECHO_CONCURRENCY, async (i) => {
        try {
          await echoOnce(links[i] as Link);
        } catch (err) {
          echoFailures.add(err);
        }
      });
      sampler.stop();
      const peak = sampler.peak;
      const heldAtEnd = links.length - echoFailures.count;
      const failures = openFailures.count + echoFailures.count;
      const perConnection = (atPeak.rssKiB - before.rssKiB) / Math.max(1, links.length);
      ctx.note(`held: ${heldAtEnd} echoed at the end; gateway RSS ${(before.rssKiB / 1024).toFixed(1)} → ${(peak.rssKiB / 1024).toFixed(1)} MiB, fds ${before.fds} → ${peak.fds}`);

      return {
        how:
          `${count} clients each open a mutual-TLS WebSocket connection to a proxy service (\`ssl.verify-client\` required, ` +
          `\`tcp.maximum.connections\` ${count + 1000}) in front of a TCP echo backend, ${OPEN_CONCURRENCY} at a time, and echo a 32-byte ` +
          `message; all are held for ${ctx.profile.holdSeconds} s, then every one echoes once more. Memory is the gateway's VmRSS ` +
          `after a warm-up of ${WARMUP} connections and with every connection open; descriptors are the entries of /proc/PID/fd.`,
        checks: [
          {
            goal: `${count} connections held, 0 failures`,
            measured: `${heldAtEnd} held; ${openFailures.count} failed to open, ${droppedWhileHeld} dropped while held, ${echoFailures.count} failed the last echo`,
            pass: heldAtEnd === count && failures === 0 && droppedWhileHeld === 0,
          },
        ],
        figures: [
          { metric: 'connections held (echoed at the end)', value: heldAtEnd, unit: 'conn' },
          { metric: 'failures', value: failures + droppedWhileHeld, unit: 'conn' },
          { metric: 'opening rate', value: links.length / openSeconds, unit: 'conn/s' },
          { metric: 'gateway RSS before', value: before.rssKiB / 1024, unit: 'MiB' },
          { metric: 'gateway RSS at peak', value: peak.rssKiB / 1024, unit: 'MiB' },
          { metric: 'gateway RSS per connection', value: perConnection, unit: 'KiB' },
          { metric: 'gateway fds before', value: before.fds, unit: 'fd' },
          { metric: 'gateway fds at peak', value: peak.fds, unit: 'fd' },
          { metric: 'gateway fds per connection', value: (atPeak.fds - before.fds) / Math.max(1, links.length), unit: 'fd' },
        ],
        ...(openFailures.first || echoFailures.first
          ? { details: `First failures: ${[openFailures.first && `opening: ${openFailures.first}`, echoFailures.first && `last echo: ${echoFailures.first}`].filter(Boolean).join('; ')}.` }
          : {}),
      };
    } finally {
      sampler.stop();
      for (const l of links) l.destroy();
      await gw.stop();
      await ctx.procs.stop(sink.child);
    }
  },
};
