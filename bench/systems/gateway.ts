/** This project's gateway: `bin/gateway start` with a proxy service in front of the sink, mutual TLS required. */
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../paths.js';
import { onCpus } from '../pin.js';
import { captureOutput, type ProcessGroup } from '../procs.js';
import { withFileLimit } from './limits.js';
import type { RunningSystem, SystemContext, SystemSpec } from './types.js';

const ACCEPT = 'wss://127.0.0.1:0/bench';
const START_TIMEOUT_MS = 30000;

export function gatewayConfig(sinkPort: number, keystore: string, truststore: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<gateway-config xmlns="http://xmlns.kaazing.org/2016/06/gateway">
  <service>
    <name>bench</name>
    <accept>${ACCEPT}</accept>
    <connect>tcp://127.0.0.1:${sinkPort}</connect>
    <type>proxy</type>
    <accept-options>
      <ssl.verify-client>required</ssl.verify-client>
    </accept-options>
  </service>
  <security>
    <keystore><type>PEM</type><file>${keystore}</file></keystore>
    <truststore><type>PEM</type><file>${truststore}</file></truststore>
  </security>
</gateway-config>
`;
}

interface LogLine {
  msg?: string;
  event?: string;
  accept?: string;
  port?: number;
}

export interface GatewayLaunch {
  readonly procs: ProcessGroup;
  /** The checkout whose `bin/gateway` runs; default this one. */
  readonly root?: string | undefined;
  /** Arguments after `bin/gateway start`. */
  readonly args: readonly string[];
  readonly cwd: string;
  /** The soft open-file limit the gateway gets (prlimit), up to the hard one. */
  readonly fileLimit: number;
  /** Processes that must each report their start (`--workers N`); default 1. */
  readonly workers?: number;
  /** CPUs to run on (taskset -c); undefined: unpinned. */
  readonly cpus?: string | undefined;
  /** Every line the gateway writes, stdout's and stderr's; without it the output is drained unread once it started. */
  readonly onLine?: (text: string, stream: 'stdout' | 'stderr') => void;
}

export interface LaunchedGateway {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The port each accept URI is bound to, from the `listening` log lines. */
  readonly ports: ReadonlyMap<string, number>;
  /** What the gateway wrote until it started (bounded). */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `bin/gateway start …` with JSON logs and resolves once every process reported its start. */
export async function launchGateway(launch: GatewayLaunch): Promise<LaunchedGateway> {
  const workers = launch.workers ?? 1;
  // Run as an operator runs it: the launcher sets the allocator's thresholds (bin/gateway) before it becomes Node,
  // the Node that runs this harness.
  const [cmd, args] = onCpus(...withFileLimit(join(launch.root ?? REPO_ROOT, 'bin', 'gateway'), ['start', ...launch.args], launch.fileLimit), launch.cpus);
  const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env['PATH'] ?? ''}` };
  const child = launch.procs.spawn(cmd, args, { cwd: launch.cwd, env });
  const output = captureOutput(child);
  const ports = new Map<string, number>();
  await new Promise<void>((resolve, reject) => {
    let started = 0;
    let starting = true;
    const onLine = launch.onLine;
    const rl = createInterface({ input: child.stdout! });
    if (onLine) createInterface({ input: child.stderr! }).on('line', (text) => onLine(text, 'stderr'));
    const timer = setTimeout(() => finish(new Error(`the gateway did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    const onExit = (code: number | null) => finish(new Error(`the gateway exited (${code}) before it started:\n${output().trim()}`));
    const finish = (err: Error | undefined) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      starting = false;
      if (!onLine) {
        // Per-connection log lines keep coming: keep the pipe drained (unparsed) so the gateway never blocks on it.
        rl.close();
        child.stdout!.resume();
      }
      if (err) reject(err);
      else resolve();
    };
    child.once('exit', onExit);
    child.once('error', (err) => finish(err));
    rl.on('line', (text) => {
      onLine?.(text, 'stdout');
      if (!starting) return;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        return;
      }
      if (line.event === 'listening' && typeof line.accept === 'string' && typeof line.port === 'number') ports.set(line.accept, line.port);
      // Each worker reports its own start; all of them must be serving before the clock runs.
      if (line.msg?.startsWith('Started server successfully') && ++started === workers) finish(undefined);
    });
  });
  return { child, pid: child.pid as number, ports, output, stop: () => launch.procs.stop(child) };
}

/**
 * The gateway as `bin/gateway start` runs it; `workers` > 1 adds `--workers N` (processes sharing the port), named
 * `gateway-Nw`, for the `workers` scenario.
 */
export function gatewaySystem(workers = 1): SystemSpec {
  return {
    name: workers > 1 ? `gateway-${workers}w` : 'gateway',
    description:
      'this project: `bin/gateway start' + (workers > 1 ? ` --workers ${workers}` : '') + '`, one proxy service, ssl.verify-client required, PEM stores, default options, run by its launcher',
    peer: false,
    async detect() {
      if (!existsSync(join(REPO_ROOT, 'dist', 'src', 'cli', 'index.js'))) return 'the gateway is not built (`npm run build`)';
      return undefined;
    },
    async start(ctx: SystemContext): Promise<RunningSystem> {
      const config = join(ctx.workDir, 'gateway-config.xml');
      writeFileSync(config, gatewayConfig(ctx.sinkPort, ctx.pki.files.serverBundle, ctx.pki.files.ca));
      const args = ['--config', config, '--log-format', 'json', ...(workers > 1 ? ['--workers', String(workers)] : [])];
      const gw = await launchGateway({ procs: ctx.procs, args, cwd: ctx.workDir, fileLimit: ctx.fileLimit, workers, cpus: ctx.cpus });
      const port = gw.ports.get(ACCEPT);
      if (port === undefined) {
        await gw.stop();
        throw new Error(`the gateway started but logged no "listening" line for ${ACCEPT}`);
      }
      return {
        endpoint: { protocol: 'ws', host: '127.0.0.1', port, path: '/bench' },
        pids: [gw.pid],
        stop: () => gw.stop(),
      };
    },
    workers: (n) => gatewaySystem(n),
  };
}

export const gateway: SystemSpec = gatewaySystem();
