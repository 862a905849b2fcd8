/**
 * Fuzzing over real sockets: mutated WebSocket frames after a valid upgrade, mutated upgrade requests, and mutated
 * PROXY protocol v2 headers on a listener that trusts 127.0.0.1 to send them. fast-check generates the inputs from
 * a fixed seed, so a run can be repeated exactly. The gateway must stay up, log no stack trace and nothing at level
 * error or above, and the well-behaved connections opened before must all still echo at the end.
 */
import { connect as netConnect } from 'node:net';
import fc from 'fast-check';
import { openLink, type Endpoint, type Link } from '../../bench/client/link.js';
import { freePort } from '../../bench/procs.js';
import { Sink } from '../../bench/sink-client.js';
import { framesArb, proxyArb, upgradeArb } from '../fuzz-inputs.js';
import { startGateway } from '../gateway.js';
import { forEachLimited } from '../pool.js';
import type { Check, Figure, ScenarioOutcome } from '../report/types.js';
import { echoOnce, openEchoing } from './held.js';
import type { Scenario, SoakContext } from './types.js';

/** A run whose connection is still open this long after its input (and FIN) was sent is ended by the client. */
const REPLY_CAP_MS = 1000;
const GOOD_PER_KIND = 10;

/** Resolves with what the gateway did: the status of its HTTP answer, or that it closed without one. */
function exchangeRaw(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    let head = '';
    const done = (outcome: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done(`still open after ${REPLY_CAP_MS / 1000} s`), REPLY_CAP_MS);
    const answer = () => {
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      return m ? `HTTP ${m[1]}` : head === '' ? 'closed without a response' : 'closed after a response that is not HTTP';
    };
    socket.on('data', (d: Buffer) => {
      if (head.length < 64) head += d.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.once('close', () => done(answer()));
    socket.once('connect', () => socket.end(bytes));
  });
}

/** After a valid upgrade: the close code the gateway sent, or that it closed without a close frame. */
async function exchangeFrames(endpoint: Endpoint, bytes: Buffer): Promise<string> {
  const link = await openLink(endpoint, { ca: '', cert: '', key: '' });
  return new Promise((resolve) => {
    const done = (outcome: string) => {
      clearTimeout(timer);
      link.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done(`still open after ${REPLY_CAP_MS / 1000} s`), REPLY_CAP_MS);
    link.socket.once('close', () => done(link.peerClose ? `close ${link.peerClose.code ?? '(no code)'}` : 'closed without a close frame'));
    link.socket.end(bytes);
  });
}

interface TargetResult {
  readonly name: string;
  readonly runs: number;
  readonly failed: boolean;
  /** Why the failing run failed: the gateway died (the property was false), or the run threw. */
  readonly error: string | undefined;
  readonly counterexample: string | undefined;
  readonly outcomes: Map<string, number>;
  readonly seconds: number;
}

async function fuzzTarget(name: string, arb: fc.Arbitrary<Buffer>, send: (bytes: Buffer) => Promise<string>, alive: () => boolean, ctx: SoakContext): Promise<TargetResult> {
  const outcomes = new Map<string, number>();
  const start = performance.now();
  const property = fc.asyncProperty(arb, async (bytes) => {
    const outcome = await send(bytes);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    return alive();
  });
  // A dead gateway cannot shrink a counterexample: stop at the first failure and report it as generated.
  const details = await fc.check(property, { seed: ctx.seed, numRuns: ctx.profile.fuzzRuns, endOnFailure: true });
  const seconds = (performance.now() - start) / 1000;
  const example = details.counterexample?.[0];
  ctx.note(`fuzz: ${name}: ${details.numRuns} runs in ${seconds.toFixed(1)} s${details.failed ? `, FAILED: ${details.errorInstance instanceof Error ? details.errorInstance.message : 'the gateway died'}` : ''}`);
  return {
    name,
    runs: details.numRuns,
    failed: details.failed,
    error: details.failed ? (details.errorInstance instanceof Error ? details.errorInstance.message : 'the gateway died') : undefined,
    counterexample: example === undefined ? undefined : `${example.toString('hex').slice(0, 400)}${example.length > 200 ? '…' : ''}`,
    outcomes,
    seconds,
  };
}

export const fuzz: Scenario = {
  id: 'fuzz',
  title: 'Fuzzing with fast-check',
  async run(ctx: SoakContext): Promise<ScenarioOutcome> {
    const sink = await Sink.start(ctx.procs);
    const plain = 'ws://127.0.0.1:0';
    const proxied = `ws://127.0.0.1:${await freePort()}`;
    const secure = `wss://127.0.0.1:${await freePort()}`;
    const gw = await startGateway(ctx, {
      services: [
        { name: 'echo', accept: `${plain}/echo`, type: 'echo' },
        { name: 'proxy', accept: `${plain}/proxy`, type: 'proxy', connect: `tcp://127.0.0.1:${sink.port}` },
        {
          name: 'behind-balancer',
          accept: `${proxied}/echo`,
          type: 'echo',
          acceptOptions: { 'tcp.proxy-protocol': 'v2', 'tcp.proxy-protocol.trusted': '127.0.0.1' },
        },
        {
          name: 'secure',
          accept: `${secure}/proxy`,
          type: 'proxy',
          connect: `tcp://127.0.0.1:${sink.port}`,
          acceptOptions: { 'ssl.verify-client': 'required' },
        },
      ],
    });
    const plainPort = gw.port(`${plain}/echo`);
    const good: Link[] = [];
    const goodEndpoints: Endpoint[] = [
      { protocol: 'ws', host: '127.0.0.1', port: gw.port(`${secure}/proxy`), path: '/proxy' },
      { protocol: 'ws-plain', host: '127.0.0.1', port: plainPort, path: '/echo' },
    ];
    try {
      for (const ep of goodEndpoints) await forEachLimited(GOOD_PER_KIND, 5, async () => void good.push(await openEchoing(ep, ctx)));
      const alive = () => gw.alive();
      const frameTargets: Endpoint[] = [
        { protocol: 'ws-plain', host: '127.0.0.1', port: plainPort, path: '/echo' },
        { protocol: 'ws-plain', host: '127.0.0.1', port: plainPort, path: '/proxy' },
      ];
      let frameRun = 0;
      const results: TargetResult[] = [];
      results.push(await fuzzTarget('WebSocket frames after an upgrade (echo and proxy services)', framesArb, (b) => exchangeFrames(frameTargets[frameRun++ % 2] as Endpoint, b), alive, ctx));
      if (alive()) results.push(await fuzzTarget('upgrade requests', upgradeArb, (b) => exchangeRaw(plainPort, b), alive, ctx));
      if (alive()) results.push(await fuzzTarget('PROXY protocol v2 headers (then a valid upgrade)', proxyArb, (b) => exchangeRaw(gw.port(`${proxied}/echo`), b), alive, ctx));

      let lastEchoFailures = 0;
      if (alive()) {
        await Promise.all(
          good.map(async (l) => {
            try {
              await echoOnce(l, 10000);
            } catch {
              lastEchoFailures++;
            }
          }),
        );
      }
      const up = alive();
      const log = gw.logs.counts();
      const expectedGood = GOOD_PER_KIND * goodEndpoints.length;
      const failedTarget = results.find((r) => r.failed);
      const checks: Check[] = [
        {
          goal: 'the gateway process never dies, and every run completes',
          measured: !up ? `died${failedTarget ? ` during ${failedTarget.name}` : ''}` : failedTarget ? `a run of ${failedTarget.name} failed: ${failedTarget.error}` : 'alive after every run',
          pass: up && failedTarget === undefined,
        },
        {
          goal: 'no stack trace and no line at level error (50) or above in its log',
          measured: `${log.stackTraces} stack-trace lines, ${log.errorLines} lines at level ≥ 50 (of ${log.lines})`,
          pass: log.stackTraces === 0 && log.errorLines === 0,
        },
        {
          goal: `the ${expectedGood} well-behaved connections opened before all still echo at the end`,
          measured: `${good.length - lastEchoFailures} of ${expectedGood}`,
          pass: up && good.length === expectedGood && lastEchoFailures === 0,
        },
      ];
      const figures: Figure[] = [
        { metric: 'seed', value: String(ctx.seed), unit: '' },
        ...results.map((r) => ({ metric: `runs: ${r.name}`, value: r.runs, unit: 'runs' })),
        { metric: 'gateway log lines on stderr', value: log.stderrLines, unit: 'lines' },
      ];
      const rows = ['| target | runs | time | how the gateway answered (runs) |', '|---|---:|---:|---|'];
      for (const r of results) {
        const answered = [...r.outcomes.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} (${v})`).join(', ');
        rows.push(`| ${r.name} | ${r.runs} | ${r.seconds.toFixed(1)} s | ${answered} |`);
      }
      const extra = [
        failedTarget?.counterexample ? `The input that failed (${failedTarget.name}, hex): \`${failedTarget.counterexample}\`.` : '',
        gw.logs.samples.length > 0 ? `First notable log lines:\n\n\`\`\`\n${gw.logs.samples.join('\n')}\n\`\`\`` : '',
      ].filter((t) => t !== '');
      return {
        how:
          `fast-check (seed ${ctx.seed}, ${ctx.profile.fuzzRuns} runs per target) generates valid inputs and mutates them (bit flips, ` +
          `bytes set, inserted, deleted, repeated, cut short). Frames go, after a valid upgrade, to a ws:// echo service and a ws:// ` +
          `proxy service (alternately); upgrade requests to the ws:// listener; PROXY headers, each followed by a valid upgrade ` +
          `request, to a ws:// listener with \`tcp.proxy-protocol\` v2 and \`tcp.proxy-protocol.trusted\` 127.0.0.1. Each run is ` +
          `a new connection: the input, then the client's FIN; the client waits up to ${REPLY_CAP_MS / 1000} s for the gateway to ` +
          `close. Before the fuzzing, ${GOOD_PER_KIND} mutual-TLS clients (wss://, proxy) and ${GOOD_PER_KIND} ws:// clients (echo) ` +
          `open and echo; they stay open throughout and echo once more at the end.`,
        checks,
        figures,
        details: [rows.join('\n'), ...extra].join('\n\n'),
      };
    } finally {
      for (const l of good) l.destroy();
      await gw.stop();
      await ctx.procs.stop(sink.child);
    }
  },
};
