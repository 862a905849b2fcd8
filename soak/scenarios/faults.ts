/**
 * Backend faults and a client that vanishes: each must end the way the gateway documents it (close code, reason,
 * what the other side sees). Every fault is played several times at once; a backend that stops reading is played
 * once with the client flooding, and the gateway's memory must plateau (maximum.pending.bytes).
 */
import { openLink, receive, type Endpoint, type Link, type LinkOptions } from '../../bench/client/link.js';
import { freePort } from '../../bench/procs.js';
import { within } from '../../bench/timeout.js';
import { halfClosingBackend, resettingBackend, silentBackend, stallingBackend, taggingBackend, type Backend } from '../backends.js';
import { startGateway, type SoakGateway } from '../gateway.js';
import type { CloseLine } from '../log-watch.js';
import { sleep } from '../pool.js';
import type { Check, Figure, ScenarioOutcome } from '../report/types.js';
import { playStall, STALL_HOW } from './faults-stall.js';
import type { Scenario, SoakContext } from './types.js';

/** ws.inactivity.timeout of the silent backend's service. */
const INACTIVITY_MS = 2000;
/** The heartbeat closes after 1 to 1.5 timeouts of silence; this much later still counts (a loaded machine). */
const LATE_MS = 1000;
const PLAY_TIMEOUT_MS = 30000;
const HALF_CLOSE_REPLY = Buffer.from('bye');

interface Outcome {
  readonly ok: boolean;
  /** What happened, in the words of the documented outcome. */
  readonly got: string;
}

interface Fault {
  readonly name: string;
  readonly path: string;
  readonly documented: string;
  /** Where the outcome is documented. */
  readonly source: string;
  play(n: number): Promise<Outcome>;
}

function closedPromise(link: Link): Promise<void> {
  return link.socket.destroyed ? Promise.resolve() : new Promise((resolve) => link.socket.once('close', () => resolve()));
}

function closeCode(link: Link): number | undefined {
  return link.peerClose?.code;
}

function closeText(link: Link): string {
  const c = link.peerClose;
  if (!c) return 'no close frame';
  return c.reason ? `${c.code ?? '(no code)'} "${c.reason}"` : `${c.code ?? '(no code)'}`;
}

/** A close line of the gateway's log, by the client's address as the gateway saw it. */
class CloseLines {
  readonly #lines = new Map<string, CloseLine>();
  readonly #waiting = new Map<string, (line: CloseLine) => void>();

  constructor(gw: SoakGateway) {
    gw.logs.onClose((line) => {
      if (line.downstream === undefined) return;
      this.#lines.set(line.downstream, line);
      this.#waiting.get(line.downstream)?.(line);
    });
  }

  of(downstream: string, timeoutMs: number): Promise<CloseLine | undefined> {
    const line = this.#lines.get(downstream);
    if (line) return Promise.resolve(line);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      this.#waiting.set(downstream, (l) => {
        clearTimeout(timer);
        resolve(l);
      });
    });
  }
}

export const faults: Scenario = {
  id: 'faults',
  title: 'Backend faults',
  async run(ctx: SoakContext): Promise<ScenarioOutcome> {
    const backends: Backend[] = [];
    const keep = async <B extends Backend>(b: Promise<B>): Promise<B> => {
      const got = await b;
      backends.push(got);
      return got;
    };
    const refusedPort = await freePort();
    const reset = await keep(resettingBackend());
    const halfClose = await keep(halfClosingBackend(HALF_CLOSE_REPLY));
    const silent = await keep(silentBackend());
    const stall = await keep(stallingBackend());
    const tagging = await keep(taggingBackend());
    const accept = (path: string) => `wss://127.0.0.1:0${path}`;
    const mtls = { 'ssl.verify-client': 'required' };
    const proxy = (name: string, port: number, extra: Record<string, string> = {}) => ({
      name,
      accept: accept(`/${name}`),
      type: 'proxy' as const,
      connect: `tcp://127.0.0.1:${port}`,
      acceptOptions: { ...mtls, ...extra },
    });
    const gw = await startGateway(ctx, {
      services: [
        proxy('refused', refusedPort),
        proxy('reset', reset.port),
        proxy('halfclose', halfClose.port),
        proxy('silent', silent.port, { 'ws.inactivity.timeout': `${INACTIVITY_MS / 1000}s` }),
        proxy('stall', stall.port),
        proxy('vanish', tagging.port),
      ],
    });
    const closeLines = new CloseLines(gw);
    const endpoint = (path: string): Endpoint => ({ protocol: 'ws', host: '127.0.0.1', port: gw.port(accept(path)), path });
    const open = (path: string, options?: LinkOptions) => openLink(endpoint(path), ctx.tls, options);
    const message = (text: string) => Buffer.from(text);

    const list: Fault[] = [
      {
        name: 'backend refuses (nothing listens)',
        path: '/refused',
        documented: `close 1011 "Connection to tcp://127.0.0.1:${refusedPort} failed"`,
        source: 'README.md, Proxy properties',
        async play() {
          const link = await open('/refused');
          await closedPromise(link);
          const c = link.peerClose;
          return { ok: c?.code === 1011 && c.reason === `Connection to tcp://127.0.0.1:${refusedPort} failed`, got: `close ${closeText(link)}` };
        },
      },
      {
        name: 'backend resets mid-stream',
        path: '/reset',
        documented: 'the data before the reset, then close 1011',
        source: 'src/pipe/fuse.ts: a side that fails makes the other fail; a WebSocket client is told with 1011',
        async play(n) {
          const link = await open('/reset');
          const body = message(`reset-${n}`);
          const echoed = receive(link, body.length).then(() => true, () => false);
          link.socket.write(link.frame(body));
          const gotEcho = await echoed;
          await closedPromise(link);
          return { ok: gotEcho && link.peerClose?.code === 1011, got: `${gotEcho ? 'the data' : 'no data'}, then close ${closeText(link)}` };
        },
      },
      {
        name: 'backend half-closes (ends its write side)',
        path: '/halfclose',
        documented: `the data before the FIN ("${HALF_CLOSE_REPLY}"), then close 1000`,
        source: 'src/pipe/fuse.ts: a side that ends gracefully ends the other after what is queued (1000 from a FIN)',
        async play(n) {
          const link = await open('/halfclose');
          let got = '';
          link.onBytes = (chunk) => (got += chunk.toString('latin1'));
          link.socket.write(link.frame(message(`half-${n}`)));
          await closedPromise(link);
          return { ok: got === HALF_CLOSE_REPLY.toString() && link.peerClose?.code === 1000, got: `"${got}", then close ${closeText(link)}` };
        },
      },
      {
        name: 'backend stays silent, client answers no ping',
        path: '/silent',
        documented: `close 1001 "inactivity timeout" ${INACTIVITY_MS / 1000}–${(INACTIVITY_MS * 1.5) / 1000} s after the client's last message (ws.inactivity.timeout ${INACTIVITY_MS / 1000}s)`,
        source: 'README.md, Limits and keep-alive; src/pipe/heartbeat.ts',
        async play(n) {
          const link = await open('/silent', { answerPings: false });
          const sentAt = performance.now();
          link.socket.write(link.frame(message(`quiet-${n}`)));
          await closedPromise(link);
          const after = performance.now() - sentAt;
          const c = link.peerClose;
          const inTime = after >= INACTIVITY_MS - 100 && after <= INACTIVITY_MS * 1.5 + LATE_MS;
          return { ok: c?.code === 1001 && c.reason === 'inactivity timeout' && inTime, got: `close ${closeText(link)} after ${(after / 1000).toFixed(2)} s` };
        },
      },
      {
        name: 'backend stays silent, client answers pings',
        path: '/silent',
        documented: `still open after ${(INACTIVITY_MS * 3) / 1000} s (a quiet backend is not a fault), then close 1000 when the client closes`,
        source: 'src/pipe/heartbeat.ts: only the client is pinged',
        async play(n) {
          const link = await open('/silent');
          link.socket.write(link.frame(message(`alive-${n}`)));
          await sleep(INACTIVITY_MS * 3);
          const open3 = !link.socket.destroyed && closeCode(link) === undefined;
          await link.close();
          return { ok: open3 && closeCode(link) === 1000, got: `${open3 ? 'still open' : `closed early (${closeText(link)})`}, then close ${closeText(link)}` };
        },
      },
      {
        name: 'client vanishes mid-frame',
        path: '/vanish',
        documented: 'the gateway closes the backend connection and logs the close as 1006 "downstream lost (1006)"',
        source: 'src/pipe/fuse.ts: a lost WebSocket makes the other side fail; a socket is destroyed, never taken for a clean end',
        async play(n) {
          const link = await open('/vanish');
          const tag = `vanish-${n}`;
          const echoed = receive(link, tag.length);
          link.socket.write(link.frame(message(tag)));
          await echoed;
          const downstream = `127.0.0.1:${link.socket.localPort}`;
          const backendClosed = tagging.closeOf(tag);
          // A binary frame announcing 100 payload bytes, its mask and 10 of them; then the client is gone.
          const frame = link.frame(Buffer.alloc(100, 0x76));
          link.socket.write(frame.subarray(0, 2 + 4 + 10));
          link.socket.destroy();
          const closedAfter = await within(backendClosed, 10000, 'the backend connection closing').catch(() => undefined);
          const line = await closeLines.of(downstream, 5000);
          const ok = closedAfter !== undefined && line?.code === 1006 && line.reason === 'downstream lost (1006)';
          return {
            ok,
            got:
              `${closedAfter === undefined ? 'backend connection still open after 10 s' : `backend connection closed after ${(closedAfter / 1000).toFixed(2)} s`}; ` +
              `logged ${line ? `${line.code ?? '(no code)'} "${line.reason ?? ''}"` : 'no close line'}`,
          };
        },
      },
    ];

    try {
      const repeats = ctx.profile.faultRepeats;
      const rows = ['| fault | documented outcome | where | runs | as documented | seen |', '|---|---|---|---:|---:|---|'];
      const checks: Check[] = [];
      for (const f of list) {
        const outcomes = await Promise.all(
          Array.from({ length: repeats }, (_, i) =>
            within(f.play(i), PLAY_TIMEOUT_MS, `${f.name} (run ${i + 1})`).catch((err: Error): Outcome => ({ ok: false, got: err.message })),
          ),
        );
        const ok = outcomes.filter((o) => o.ok).length;
        const seen = outcomes.find((o) => !o.ok)?.got ?? outcomes[0]?.got ?? '';
        rows.push(`| ${f.name} | ${f.documented} | ${f.source} | ${repeats} | ${ok} | ${seen.replace(/\|/g, '\\|')} |`);
        checks.push({ goal: `${f.name}: ${f.documented}`, measured: `${ok} of ${repeats}${ok < repeats ? `; first otherwise: ${seen}` : ''}`, pass: ok === repeats });
        ctx.note(`faults: ${f.name}: ${ok} of ${repeats} as documented (${seen})`);
      }
      const stallResult = await within(playStall(ctx, gw, endpoint('/stall'), stall), ctx.profile.stallSeconds * 1000 + 60000, 'the stalled backend run');
      checks.push(...stallResult.checks);
      rows.push(`| ${stallResult.row} |`);
      const log = gw.logs.counts();
      const figures: Figure[] = [...stallResult.figures, { metric: 'gateway log lines at level error or above', value: log.errorLines, unit: 'lines' }, { metric: 'stack traces in the gateway log', value: log.stackTraces, unit: 'lines' }];
      return {
        how:
          `One gateway, a proxy service per fault (mutual TLS), each in front of a backend that misbehaves in one way. Each fault is ` +
          `played ${repeats} times at once by clients that record the close frame they get. ${STALL_HOW}`,
        checks,
        figures,
        details: rows.join('\n'),
      };
    } finally {
      await gw.stop();
      await Promise.all(backends.map((b) => b.close()));
    }
  },
};
