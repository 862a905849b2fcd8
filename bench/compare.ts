/**
 * `npm run bench:compare -- --against DIR`: does a change make a connection, or a MiB, cheaper? This checkout's
 * gateway and the one in DIR (another checkout of the project, built) run at the same time on the same core, and the
 * load client drives both alike: as many clients each connecting over and over (churn, resume), or one connection
 * each writing messages of one size (bulk). Each one's CPU per connection or per MiB is read from /proc. Whatever
 * else the machine does meanwhile slows both alike, so their ratio holds to a few percent, where the same system run
 * twice in a row moves by 10% on a shared machine (docs/PERFORMANCE.md).
 *
 * It ranks two builds; it does not say what either costs alone: sharing a core, both pay more than they would.
 * `--against .` compares this checkout with itself and shows the method's own spread.
 *
 * `--peer NAME` runs one of the benchmark's other systems (bench/systems) in place of the other checkout, so that the
 * gateway's CPU per MiB or per connection against the bare TLS relay's (or naive's, or nginx's) comes from one core
 * under one load rather than from runs minutes apart, between which a shared machine's speed can move by half. The
 * gateway is always started second and is the ratio's numerator; `--against .` shows what that place costs
 * (bench/findings.md). `--system NAME` puts another of those systems in the gateway's place, so that two floors
 * (the bare TLS relay and the WebSocket relay, say) are compared the way the gateway is compared with them.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROFILES } from './args.js';
import { openLink, REPLY_TIMEOUT_MS, type ClientTls, type Endpoint, type Link } from './client/link.js';
import { COMPARE_USAGE, parseCompareArgs, type CompareOptions } from './compare-args.js';
import { treeCpuMs } from './cpu.js';
import { REPO_ROOT } from './paths.js';
import { moveProcess, placement } from './pin.js';
import { makeBenchPki } from './pki.js';
import { harnessOptions, inWorkDir, runWithProcessGroup, type ProcessGroup } from './procs.js';
import { pump } from './scenarios/bulk.js';
import { churnLoop } from './scenarios/churn.js';
import { Sink } from './sink-client.js';
import { median } from './stats.js';
import { gatewayConfig, launchGateway } from './systems/gateway.js';
import { SYSTEMS } from './systems/index.js';
import { ownFileLimits } from './systems/limits.js';
import type { SystemSpec } from './systems/types.js';
import { within } from './timeout.js';

const MiB = 1024 * 1024;
/** What one write of the bulk client carries: whole frames, about this many bytes. */
const BULK_BATCH_BYTES = 64 * 1024;

interface Side {
  readonly name: string;
  readonly endpoint: Endpoint;
  /** The processes whose CPU is this side's. */
  readonly pids: readonly number[];
  /** The TCP sink behind this side's system: it counts what reaches it, for bulk. */
  readonly sink: Sink;
  /** Bulk: MiB the sink received in the last round. */
  mib: number;
  connections: number;
  failures: number;
  firstError: Error | undefined;
}

/**
 * Clients of `side` connecting over and over until `deadline`, or until they have made `connections` (completed or
 * failed); each resumes its last session when `resume`. Sets the side's count of connections for this run, and adds
 * its failures to the side's.
 */
async function drive(side: Side, tls: ClientTls | (() => ClientTls), clients: number, deadline: number, resume: boolean, connections?: number): Promise<void> {
  const tally = await churnLoop(side.endpoint, tls, { clients, deadline, resume, connections });
  side.connections = tally.completed;
  side.failures += tally.failed;
  side.firstError ??= tally.firstError;
}

/** A measured round: each side's CPU per unit of work over `seconds`. `index` is the round's number. */
type Round = (seconds: number, index: number) => Promise<[number, number]>;

interface Workload {
  /** Work done once, unmeasured, before the first round. */
  readonly warmUp?: () => Promise<string>;
  readonly round: Round;
  /** Closes what the rounds kept open. */
  finish(): void;
}

/**
 * Churn or resume: each side's clients connect over and over; CPU per connection. With a `fleet`, each side's
 * connections present its certificates in turn, each side going through all of them.
 */
function connectionRounds(sides: readonly [Side, Side], tls: ClientTls, opts: CompareOptions, fleet: readonly { cert: string; key: string }[]): Workload {
  const supplies = sides.map(() => {
    let next = 0;
    return fleet.length === 0 ? tls : (): ClientTls => ({ ...tls, ...(fleet[next++ % fleet.length] as { cert: string; key: string }) });
  });
  const round: Round = async (seconds) => {
    const before = sides.map((s) => treeCpuMs(s.pids));
    const deadline = performance.now() + seconds * 1000;
    await Promise.all(sides.map((s, i) => drive(s, supplies[i]!, opts.clients, deadline, opts.scenario === 'resume')));
    const [a, b] = sides.map((s, i) => (treeCpuMs(s.pids) - (before[i] as number)) / Math.max(1, s.connections));
    return [a as number, b as number];
  };
  // The full benchmark's number of warm-up connections: until V8 has compiled each side's connection path, a
  // connection costs the side with more JavaScript more than it will once it runs (bench/findings.md). Sharing a
  // core, each side connects at half its rate or less (the slower side gets less than half), so it is allowed
  // three times the full benchmark's time to make them.
  const count = PROFILES.full.churnWarmupConnections;
  const seconds = PROFILES.full.churnWarmupSeconds * 3;
  const warmUp = async (): Promise<string> => {
    const started = performance.now();
    const failuresBefore = sides.map((s) => s.failures);
    await Promise.all(sides.map((s, i) => drive(s, supplies[i]!, opts.clients, started + seconds * 1000, opts.scenario === 'resume', count)));
    const made = sides.map((s, i) => `${s.name} ${s.connections} connections${s.failures > (failuresBefore[i] as number) ? ` (${s.failures - (failuresBefore[i] as number)} failed)` : ''}`);
    return `warm-up: ${made.join(', ')} in ${((performance.now() - started) / 1000).toFixed(1)} s`;
  };
  return { warmUp, round, finish: () => undefined };
}

/**
 * Bulk: one connection to each side writes `size`-byte messages until the round's deadline; CPU per MiB its sink
 * received. Which side's client starts writing first alternates from round to round.
 */
async function bulkRounds(sides: readonly [Side, Side], tls: ClientTls, size: number): Promise<Workload> {
  const links: Link[] = [];
  try {
    for (const side of sides) links.push(await openLink(side.endpoint, tls));
  } catch (err) {
    for (const link of links) link.destroy();
    throw err;
  }
  const perBatch = Math.max(1, Math.floor(BULK_BATCH_BYTES / size));
  const batches = links.map((link) => Buffer.concat(Array.from({ length: perBatch }, () => link.frame(Buffer.alloc(size, 0x61)))));
  const round: Round = async (seconds, index) => {
    await Promise.all(sides.map((s) => s.sink.reset()));
    const before = sides.map((s) => treeCpuMs(s.pids));
    const deadline = performance.now() + seconds * 1000;
    const order = index % 2 === 0 ? [0, 1] : [1, 0];
    const sent = [0, 0];
    await Promise.all(
      order.map(async (i) => {
        sent[i] = await pump((links[i] as Link).socket, batches[i] as Buffer, perBatch * size, Number.POSITIVE_INFINITY, deadline);
      }),
    );
    await Promise.all(sides.map((s, i) => within(s.sink.reached(sent[i] as number), REPLY_TIMEOUT_MS, `the ${s.name} sink receiving ${sent[i]} bytes`)));
    sides.forEach((side, i) => (side.mib = (sent[i] as number) / MiB));
    const [a, b] = sides.map((s, i) => (treeCpuMs(s.pids) - (before[i] as number)) / ((sent[i] as number) / MiB));
    return [a as number, b as number];
  };
  return { round, finish: () => links.forEach((link) => link.destroy()) };
}

async function compare(opts: CompareOptions, procs: ProcessGroup): Promise<void> {
  const say = (text: string) => process.stdout.write(`${text}\n`);
  const peer = opts.peer === undefined ? undefined : SYSTEMS.find((s) => s.name === opts.peer);
  const instead = opts.system === undefined ? undefined : SYSTEMS.find((s) => s.name === opts.system);
  for (const spec of [peer, instead]) {
    const missing = spec === undefined ? undefined : await spec.detect();
    if (spec !== undefined && missing !== undefined) throw new Error(`${spec.name} cannot run here: ${missing}`);
  }
  for (const root of opts.system !== undefined ? [] : opts.against === undefined ? [REPO_ROOT] : [REPO_ROOT, opts.against]) {
    if (!existsSync(join(root, 'dist', 'src', 'cli', 'index.js'))) throw new Error(`${root} has no built gateway: run \`npm ci\` there first`);
  }
  const place = placement(true);
  const { system: systemCpu, client: clientCpus } = place;
  if (systemCpu === undefined || clientCpus === undefined) throw new Error(`both systems must share one core, and they cannot be pinned: ${place.description}`);
  await inWorkDir('wss-compare-', procs, async (work) => {
    const pki = makeBenchPki(work);
    const tls: ClientTls = { ca: pki.caPem, cert: pki.clientCert, key: pki.clientKey };
    moveProcess(process.pid, clientCpus);
    const fileLimit = Math.min(ownFileLimits().hard, opts.clients * 4 + 1024);
    const newSink = async (): Promise<Sink> => {
      const sink = await Sink.start(procs);
      await sink.mode(opts.scenario === 'bulk' ? 'discard' : 'echo');
      return sink;
    };
    const side = (name: string, endpoint: Endpoint, pids: readonly number[], sink: Sink): Side => ({ name, endpoint, pids, sink, mib: 0, connections: 0, failures: 0, firstError: undefined });
    const start = async (name: string, root: string): Promise<Side> => {
      const sink = await newSink();
      const config = join(work, `${name}.xml`);
      writeFileSync(config, gatewayConfig(sink.port, pki.files.serverBundle, pki.files.ca));
      const gw = await launchGateway({ procs, root, args: ['--config', config, '--log-format', 'json'], cwd: work, fileLimit, cpus: systemCpu });
      const port = [...gw.ports.values()][0];
      if (port === undefined) throw new Error(`the gateway of ${root} started but logged no "listening" line`);
      return side(name, { protocol: 'ws', host: '127.0.0.1', port, path: '/bench' }, [gw.pid], sink);
    };
    const startPeer = async (spec: SystemSpec): Promise<Side> => {
      const sink = await newSink();
      const workDir = join(work, spec.name);
      mkdirSync(workDir);
      const running = await spec.start({ pki, sinkPort: sink.port, workDir, procs, fileLimit, cpus: systemCpu });
      return side(spec.name, running.endpoint, running.pids, sink);
    };
    // The ratio printed is the second side's cost over the first's: the other build's over this one's, or, against a
    // peer, the gateway's (or the --system's) over the peer's (for resume, of CPU per connection, where the goal
    // compares rates).
    const sides = peer
      ? ([await startPeer(peer), instead ? await startPeer(instead) : await start('gateway', REPO_ROOT)] as const)
      : ([await start('this', REPO_ROOT), await start('other', opts.against ?? REPO_ROOT)] as const);
    const measured = instead ? `system: ${instead.name}, ${instead.description}` : `gateway: ${REPO_ROOT}`;
    say(peer ? `${measured}\npeer: ${peer.name}, ${peer.description}` : `this: ${REPO_ROOT}\nother: ${opts.against}`);
    const fleet = opts.fleet > 0 ? pki.fleet(opts.fleet) : [];
    if (fleet.length > 0) say(`fleet: ${fleet.length} client certificates, each side's connections presenting them in turn`);
    const { warmUp, round, finish } = opts.scenario === 'bulk' ? await bulkRounds(sides, tls, opts.size) : connectionRounds(sides, tls, opts, fleet);
    const unit = opts.scenario === 'bulk' ? 'ms/MiB' : 'ms/conn';
    const done = (side: Side) => (opts.scenario === 'bulk' ? `${side.mib.toFixed(0)} MiB` : `${side.connections} connections`);
    const workload = opts.scenario === 'bulk' ? `bulk ${opts.size} B, one connection each` : `${opts.scenario}, ${opts.clients} clients each`;
    say(`${workload}, both systems on CPU ${systemCpu}, the client and the sinks on CPU ${clientCpus}`);
    const [first, second] = sides;
    const ratioName = `${second.name} ÷ ${first.name}`;
    const ratios: number[] = [];
    try {
      if (warmUp) say(await warmUp());
      for (let r = 1; r <= opts.rounds; r++) {
        await round(1, r);
        const [firstCost, secondCost] = await round(opts.seconds, r);
        ratios.push(secondCost / firstCost);
        say(`round ${r}: ${first.name} ${firstCost.toFixed(3)} ${unit} (${done(first)}), ${second.name} ${secondCost.toFixed(3)} ${unit} (${done(second)}), ${ratioName} ${(secondCost / firstCost).toFixed(3)}`);
      }
    } finally {
      finish();
    }
    for (const side of sides) {
      if (side.failures > 0) say(`${side.name}: ${side.failures} connections failed, the first with: ${side.firstError?.message ?? 'no error'}`);
    }
    const sorted = [...ratios].sort((x, y) => x - y);
    const per = opts.scenario === 'bulk' ? 'MiB' : 'connection';
    say(`${ratioName}, CPU per ${per}: ${median(ratios).toFixed(3)} (${(sorted[0] as number).toFixed(3)}–${(sorted[sorted.length - 1] as number).toFixed(3)})`);
  });
}

async function main(): Promise<number> {
  const opts = harnessOptions(parseCompareArgs, COMPARE_USAGE);
  if (typeof opts === 'number') return opts;
  return runWithProcessGroup('comparison', (procs) => compare(opts, procs));
}

process.exitCode = await main();
