/**
 * `npm run bench:compare -- --against DIR`: does a change make a connection cheaper? This checkout's gateway and the
 * one in DIR (another checkout of the project, built) run at the same time on the same core, and the load client
 * drives both with as many clients each. Each one's CPU per connection is read from /proc. Whatever else the machine
 * does meanwhile slows both alike, so their ratio holds to about 1%, where the same system run twice in a row moves
 * by 10% on a shared machine (docs/PERFORMANCE.md).
 *
 * It ranks two builds; it does not say what either costs alone: sharing a core, both pay more than they would.
 * `--against .` compares this checkout with itself and shows the method's own spread.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientTls, Endpoint } from './client/link.js';
import { COMPARE_USAGE, parseCompareArgs, type CompareOptions } from './compare-args.js';
import { treeCpuMs } from './cpu.js';
import { REPO_ROOT } from './paths.js';
import { moveProcess, placement } from './pin.js';
import { makeBenchPki } from './pki.js';
import { harnessOptions, inWorkDir, runWithProcessGroup, type ProcessGroup } from './procs.js';
import { churnVisit } from './scenarios/churn.js';
import { Sink } from './sink-client.js';
import { median } from './stats.js';
import { gatewayConfig, launchGateway } from './systems/gateway.js';
import { ownFileLimits } from './systems/limits.js';

interface Side {
  readonly name: string;
  readonly endpoint: Endpoint;
  readonly pid: number;
  connections: number;
  failures: number;
  firstError: Error | undefined;
}

/** Clients of `side` connecting over and over until `deadline`; each resumes its last session when `resume`. */
async function drive(side: Side, tls: ClientTls, clients: number, deadline: number, resume: boolean): Promise<void> {
  const client = async (): Promise<void> => {
    let session: Buffer | undefined;
    while (performance.now() < deadline) {
      try {
        const visit = await churnVisit(side.endpoint, tls, resume ? session : undefined);
        session = visit.session ?? session;
        side.connections++;
      } catch (err) {
        session = undefined;
        side.failures++;
        side.firstError ??= err as Error;
        if (side.failures > 100 && side.failures > side.connections) return;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
}

async function compare(opts: CompareOptions, procs: ProcessGroup): Promise<void> {
  const say = (text: string) => process.stdout.write(`${text}\n`);
  for (const root of [REPO_ROOT, opts.against]) {
    if (!existsSync(join(root, 'dist', 'src', 'cli', 'index.js'))) throw new Error(`${root} has no built gateway: run \`npm ci\` there first`);
  }
  const place = placement(true);
  if (place.system === undefined) throw new Error(`both gateways must share one core, and they cannot be pinned: ${place.description}`);
  await inWorkDir('wss-compare-', procs, async (work) => {
    const pki = makeBenchPki(work);
    const tls: ClientTls = { ca: pki.caPem, cert: pki.clientCert, key: pki.clientKey };
    moveProcess(process.pid, place.client);
    const sink = await Sink.start(procs);
    await sink.mode('echo');
    const fileLimit = Math.min(ownFileLimits().hard, opts.clients * 4 + 1024);
    const start = async (name: string, root: string): Promise<Side> => {
      const config = join(work, `${name}.xml`);
      writeFileSync(config, gatewayConfig(sink.port, pki.files.serverBundle, pki.files.ca));
      const gw = await launchGateway({ procs, root, args: ['--config', config, '--log-format', 'json'], cwd: work, fileLimit, cpus: place.system });
      const port = [...gw.ports.values()][0];
      if (port === undefined) throw new Error(`the gateway of ${root} started but logged no "listening" line`);
      return { name, endpoint: { protocol: 'ws', host: '127.0.0.1', port, path: '/bench' }, pid: gw.pid, connections: 0, failures: 0, firstError: undefined };
    };
    const sides = [await start('this', REPO_ROOT), await start('other', opts.against)] as const;
    say(`this: ${REPO_ROOT}\nother: ${opts.against}`);
    say(`${opts.resume ? 'resume' : 'churn'}, ${opts.clients} clients each, both gateways on CPU ${place.system}, the client and the sink on CPU ${place.client}`);
    const round = async (seconds: number): Promise<number[]> => {
      for (const side of sides) side.connections = 0;
      const before = sides.map((s) => treeCpuMs([s.pid]));
      const deadline = performance.now() + seconds * 1000;
      await Promise.all(sides.map((s) => drive(s, tls, opts.clients, deadline, opts.resume)));
      return sides.map((s, i) => (treeCpuMs([s.pid]) - (before[i] as number)) / Math.max(1, s.connections));
    };
    const ratios: number[] = [];
    for (let r = 1; r <= opts.rounds; r++) {
      await round(1);
      const [mine, theirs] = (await round(opts.seconds)) as [number, number];
      const [a, b] = sides;
      ratios.push(theirs / mine);
      say(
        `round ${r}: this ${mine.toFixed(3)} ms/conn (${a.connections}), other ${theirs.toFixed(3)} ms/conn (${b.connections}), other ÷ this ${(theirs / mine).toFixed(3)}`,
      );
    }
    for (const side of sides) {
      if (side.failures > 0) say(`${side.name}: ${side.failures} connections failed, the first with: ${side.firstError?.message ?? 'no error'}`);
    }
    const sorted = [...ratios].sort((x, y) => x - y);
    say(`other ÷ this, CPU per connection: ${median(ratios).toFixed(3)} (${(sorted[0] as number).toFixed(3)}–${(sorted[sorted.length - 1] as number).toFixed(3)})`);
  });
}

async function main(): Promise<number> {
  const opts = harnessOptions(parseCompareArgs, COMPARE_USAGE);
  if (typeof opts === 'number') return opts;
  return runWithProcessGroup('comparison', (procs) => compare(opts, procs));
}

process.exitCode = await main();
