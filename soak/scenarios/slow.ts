/**
 * Slow clients: connections that never complete their WebSocket upgrade, in every phase it has (TCP, TLS
 * handshake, HTTP request), next to well-behaved clients that keep echoing. With `ws.handshake.timeout` the
 * gateway must close each slow one by that deadline, measured per connection from its TCP connect to the close the
 * client sees, and answer 408 where an HTTP request had started; the well-behaved ones must not notice.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Endpoint, Link } from '../../bench/client/link.js';
import { freePort } from '../../bench/procs.js';
import { Sink } from '../../bench/sink-client.js';
import { percentiles } from '../../bench/stats.js';
import { startGateway } from '../gateway.js';
import { forEachLimited, sleep } from '../pool.js';
import type { Check, Figure, ScenarioOutcome } from '../report/types.js';
import { echoOnce, openEchoing } from './held.js';
import type { Scenario, SoakContext } from './types.js';

const DEADLINE_MS = 2000;
/** Timer granularity (a deadline may be checked on a coarse tick) and a loaded 2-core machine. */
const TOLERANCE_MS = 1500;
/** How long past deadline + tolerance the scenario keeps watching, to say how late the late ones were. */
const GRACE_MS = 2000;
const ECHO_INTERVAL_MS = 250;
const ECHO_TIMEOUT_MS = 5000;
/** Low, so that handshakes finishing together do not hold up the events that start and stop the clocks. */
const OPEN_CONCURRENCY = 8;
const OPEN_TIMEOUT_MS = 10000;

const KINDS = ['tcp-silent', 'http-partial', 'tls-silent', 'tls-partial-hello', 'tls-no-request', 'tls-http-partial'] as const;
type Kind = (typeof KINDS)[number];

const KIND_TEXT: Record<Kind, string> = {
  'tcp-silent': 'ws://: TCP connection, nothing sent',
  'http-partial': 'ws://: half an upgrade request, then silence',
  'tls-silent': 'wss://: TCP connection, no ClientHello',
  'tls-partial-hello': 'wss://: the first 43 bytes of a 517-byte ClientHello record',
  'tls-no-request': 'wss://: mutual-TLS handshake completed, no HTTP request',
  'tls-http-partial': 'wss://: mutual-TLS handshake completed, half an upgrade request',
};

/** Kinds that started an HTTP request: the gateway is to answer 408 before it closes them. */
const STARTED_HTTP: ReadonlySet<Kind> = new Set(['http-partial', 'tls-http-partial']);

const PARTIAL_REQUEST = 'GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n';

function partialClientHello(): Buffer {
  // Record header (handshake, TLS 1.0 record version, 512 bytes), handshake header (ClientHello, 508 bytes),
  // client version TLS 1.2, 32 bytes of random: the server waits for the other 474 bytes of the record.
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), randomBytes(32)]);
}

interface Slow {
  readonly kind: Kind;
  socket?: Socket;
  connectedAt?: number;
  /** From TCP connect to the first sign of the close (FIN, reset, close). */
  closedAfterMs?: number;
  /** The first bytes the gateway sent, as text (a 408 response, say). */
  received: string;
  error?: string;
}

function watch(slow: Slow, socket: Socket): void {
  slow.socket = socket;
  const closed = () => {
    if (slow.closedAfterMs === undefined && slow.connectedAt !== undefined) slow.closedAfterMs = performance.now() - slow.connectedAt;
  };
  socket.once('connect', () => (slow.connectedAt = performance.now()));
  socket.on('data', (d: Buffer) => {
    if (slow.received.length < 256) slow.received += d.toString('latin1');
  });
  socket.once('end', closed);
  socket.once('close', closed);
  socket.on('error', (err) => {
    slow.error ??= (err as NodeJS.ErrnoException).code ?? err.message;
    closed();
  });
}

/** Resolves once the slow connection is in place: connected, and its bytes (if any) written. */
function openSlow(slow: Slow, plainPort: number, securePort: number, secureContext: SecureContext): Promise<void> {
  return new Promise((done) => {
    const host = '127.0.0.1';
    // A handshake the gateway never answers must not stall the others waiting for a place.
    const timer = setTimeout(() => done(), OPEN_TIMEOUT_MS);
    const resolve = () => {
      clearTimeout(timer);
      done();
    };
    switch (slow.kind) {
      case 'tcp-silent':
      case 'http-partial':
      case 'tls-silent':
      case 'tls-partial-hello': {
        const port = slow.kind === 'tcp-silent' || slow.kind === 'http-partial' ? plainPort : securePort;
        const socket = netConnect({ host, port });
        watch(slow, socket);
        socket.once('connect', () => {
          if (slow.kind === 'http-partial') socket.write(PARTIAL_REQUEST);
          if (slow.kind === 'tls-partial-hello') socket.write(partialClientHello());
          resolve();
        });
        socket.once('close', () => resolve());
        break;
      }
      case 'tls-no-request':
      case 'tls-http-partial': {
        const socket = tlsConnect({ host, port: securePort, secureContext, checkServerIdentity: () => undefined });
        watch(slow, socket);
        socket.once('secureConnect', () => {
          if (slow.kind === 'tls-http-partial') socket.write(PARTIAL_REQUEST);
          resolve();
        });
        socket.once('close', () => resolve());
        break;
      }
    }
  });
}

/** Well-behaved clients echo on a clock until told to stop; every failed echo or lost connection counts. */
class Chorus {
  echoes = 0;
  failures = 0;
  first: string | undefined;
  #running = true;
  readonly #loops: Promise<void>[];

  constructor(links: readonly Link[]) {
    this.#loops = links.map((link) => this.#loop(link));
  }

  async #loop(link: Link): Promise<void> {
    while (this.#running) {
      try {
        await echoOnce(link, ECHO_TIMEOUT_MS);
        this.echoes++;
      } catch (err) {
        this.failures++;
        this.first ??= (err as Error).message;
        return;
      }
      await sleep(ECHO_INTERVAL_MS);
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }
}

export const slow: Scenario = {
  id: 'slow',
  title: 'Slow clients',
  async run(ctx: SoakContext): Promise<ScenarioOutcome> {
    const known = ctx.features.knows('ws.handshake.timeout');
    const sink = await Sink.start(ctx.procs);
    const plainAccept = 'ws://127.0.0.1:0/slow';
    const secureAccept = `wss://127.0.0.1:${await freePort()}/slow`;
    const deadline = { 'ws.handshake.timeout': `${DEADLINE_MS / 1000}s` };
    const gw = await startGateway(ctx, {
      services: [
        { name: 'slow-plain', accept: plainAccept, type: 'echo', acceptOptions: deadline },
        {
          name: 'slow-secure',
          accept: secureAccept,
          type: 'proxy',
          connect: `tcp://127.0.0.1:${sink.port}`,
          acceptOptions: { 'ssl.verify-client': 'required', ...deadline },
        },
      ],
    });
    const plainPort = gw.port(plainAccept);
    const securePort = gw.port(secureAccept);
    const secureContext = createSecureContext({ ca: ctx.tls.ca, cert: ctx.tls.cert, key: ctx.tls.key });
    const endpoint: Endpoint = { protocol: 'ws', host: '127.0.0.1', port: securePort, path: '/slow' };
    const good: Link[] = [];
    const slows: Slow[] = Array.from({ length: ctx.profile.slowClients }, (_, i) => ({ kind: KINDS[i % KINDS.length] as Kind, received: '' }));
    try {
      await forEachLimited(ctx.profile.wellBehavedClients, 16, async () => void good.push(await openEchoing(endpoint, ctx)));
      const chorus = new Chorus(good);
      // Close times are read off this process's clock when it gets to the events: its own lag is their error.
      const lag = monitorEventLoopDelay({ resolution: 10 });
      lag.enable();
      const openStart = performance.now();
      await forEachLimited(slows.length, OPEN_CONCURRENCY, (i) => openSlow(slows[i] as Slow, plainPort, securePort, secureContext));
      ctx.note(`slow: ${slows.length} slow clients in place in ${((performance.now() - openStart) / 1000).toFixed(1)} s, next to ${good.length} echoing`);
      // Watch until every slow one is closed, or long enough past the deadline to say how late the rest are.
      const watchUntil = performance.now() + DEADLINE_MS + TOLERANCE_MS + GRACE_MS;
      while (performance.now() < watchUntil && slows.some((s) => s.closedAfterMs === undefined)) await sleep(100);
      lag.disable();
      const lagMaxMs = lag.max / 1e6;
      await chorus.stop();
      let lastEchoFailures = 0;
      await Promise.all(
        good.map(async (link) => {
          try {
            await echoOnce(link, ECHO_TIMEOUT_MS);
          } catch {
            lastEchoFailures++;
          }
        }),
      );

      const limit = DEADLINE_MS + TOLERANCE_MS;
      const inTime = (s: Slow) => s.closedAfterMs !== undefined && s.closedAfterMs <= limit;
      const figures: Figure[] = [];
      const rows: string[] = ['| kind | clients | closed by the limit | still open | close time min | p50 | max | first bytes from the gateway |', '|---|---:|---:|---:|---:|---:|---:|---|'];
      for (const kind of KINDS) {
        const mine = slows.filter((s) => s.kind === kind);
        const times = mine.flatMap((s) => (s.closedAfterMs === undefined ? [] : [s.closedAfterMs]));
        const [min, p50, max] = times.length > 0 ? (percentiles(times, [0, 50, 100]) as [number, number, number]) : [Number.NaN, Number.NaN, Number.NaN];
        const secs = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '—');
        const firstBytes = mine.find((s) => s.received !== '')?.received.split('\r\n')[0] ?? '';
        rows.push(
          `| ${KIND_TEXT[kind]} | ${mine.length} | ${mine.filter(inTime).length} | ${mine.filter((s) => s.closedAfterMs === undefined).length} | ` +
            `${secs(min)} | ${secs(p50)} | ${secs(max)} | ${firstBytes ? `\`${firstBytes}\`` : '—'} |`,
        );
      }
      const closedInTime = slows.filter(inTime).length;
      const stillOpen = slows.filter((s) => s.closedAfterMs === undefined).length;
      const http = slows.filter((s) => STARTED_HTTP.has(s.kind));
      const got408 = http.filter((s) => s.received.startsWith('HTTP/1.1 408')).length;
      const allTimes = slows.flatMap((s) => (s.closedAfterMs === undefined ? [] : [s.closedAfterMs]));
      const [min, p50, p99, max] = allTimes.length > 0 ? (percentiles(allTimes, [0, 50, 99, 100]) as [number, number, number, number]) : [Number.NaN, Number.NaN, Number.NaN, Number.NaN];
      figures.push(
        { metric: 'slow clients', value: slows.length, unit: 'conn' },
        { metric: `closed within ${limit / 1000} s of their connect`, value: closedInTime, unit: 'conn' },
        { metric: `still open after ${(limit + GRACE_MS) / 1000} s`, value: stillOpen, unit: 'conn' },
        { metric: 'close time min', value: min / 1000, unit: 's' },
        { metric: 'close time p50', value: p50 / 1000, unit: 's' },
        { metric: 'close time p99', value: p99 / 1000, unit: 's' },
        { metric: 'close time max', value: max / 1000, unit: 's' },
        { metric: "the client's event-loop delay, max (the error of those times)", value: lagMaxMs / 1000, unit: 's' },
        { metric: 'well-behaved clients', value: good.length, unit: 'conn' },
        { metric: 'their echoes', value: chorus.echoes, unit: 'msg' },
        { metric: 'their failures', value: chorus.failures + lastEchoFailures, unit: 'conn' },
      );
      ctx.note(`slow: ${closedInTime} of ${slows.length} closed within ${limit / 1000} s, ${stillOpen} still open; 408 on ${got408} of ${http.length}; well-behaved failures ${chorus.failures + lastEchoFailures}`);
      const checks: Check[] = [
        {
          goal: `every slow client closed within ${DEADLINE_MS / 1000} s + ${TOLERANCE_MS / 1000} s of its connect`,
          measured: `${closedInTime} of ${slows.length}` + (known ? '' : ' (this gateway does not know ws.handshake.timeout)'),
          pass: closedInTime === slows.length,
        },
        {
          goal: 'a 408 response to every slow client that had started an HTTP request',
          measured: `${got408} of ${http.length}`,
          pass: got408 === http.length,
        },
        {
          goal: `none of the ${ctx.profile.wellBehavedClients} well-behaved clients fails`,
          measured: `${good.length} opened, ${chorus.failures} failed while echoing, ${lastEchoFailures} failed the last echo`,
          pass: good.length === ctx.profile.wellBehavedClients && chorus.failures === 0 && lastEchoFailures === 0,
        },
      ];
      return {
        how:
          `${slows.length} slow clients, in equal shares of ${KINDS.length} kinds (below), against a ws:// echo service and a wss:// proxy ` +
          `service (client certificate required) with \`ws.handshake.timeout\` ${DEADLINE_MS / 1000}s, while ${ctx.profile.wellBehavedClients} ` +
          `well-behaved mutual-TLS clients echo a 32-byte message every ${ECHO_INTERVAL_MS} ms through the proxy. A slow client's close ` +
          `time runs from its TCP connect to the first sign of the close it sees (FIN, reset); the tolerance of ${TOLERANCE_MS / 1000} s ` +
          `covers a coarse timer tick and a loaded machine. Both ends of a close time are read when this process gets to the ` +
          `event, so its own event-loop delay (reported) can shorten or lengthen one by as much. ` +
          `\`tcp.maximum.connections.per.address\` is left unset.`,
        checks,
        figures,
        details: rows.join('\n'),
      };
    } finally {
      for (const s of slows) s.socket?.destroy();
      for (const l of good) l.destroy();
      await gw.stop();
      await ctx.procs.stop(sink.child);
    }
  },
};
