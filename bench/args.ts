/** The command line of `npm run bench`, and the size of each scenario in quick and full runs. */
import { parseArgs } from 'node:util';

export const SCENARIO_GROUPS = ['bulk', 'churn', 'resume', 'idle', 'latency', 'workers', 'keystore'] as const;
export type ScenarioGroup = (typeof SCENARIO_GROUPS)[number];

export interface Profile {
  /** Interleaved repetitions of every scenario: the report gives their median and range. */
  readonly repetitions: number;
  /** Message sizes of the bulk scenario, in bytes. */
  readonly bulkSizes: readonly number[];
  /** Bytes written per bulk run (the run also stops at bulkMaxSeconds). */
  readonly bulkBytes: number;
  readonly bulkMaxSeconds: number;
  /**
   * Unmeasured bytes before each measured bulk run: the first of them also pay V8 compiling the relay path
   * (bench/findings.md, "The warm-up of bulk and workers, in bytes").
   */
  readonly bulkWarmupBytes: number;
  /** The client stops writing the warm-up's bytes after this long, so that a slow system is not held on them. */
  readonly bulkWarmupSeconds: number;
  readonly churnSeconds: number;
  /**
   * Unmeasured churn (or resume) before each measured one, until this many connections were made or
   * churnWarmupSeconds passed: a process's first thousands of connections also pay V8 compiling the connection path,
   * which is no part of what a connection costs once the system runs (bench/findings.md, "The warm-up, counted in
   * connections"). Counted in connections, every system warms up on the same work however fast it is, unless it
   * cannot make them in the time allowed (websockify, or any system on a machine slowed by other work).
   */
  readonly churnWarmupConnections: number;
  readonly churnWarmupSeconds: number;
  /** Clients connecting at once in churn and resume. */
  readonly churnConcurrency: number;
  readonly idleConnections: number;
  readonly latencySeconds: number;
  readonly latencyWarmupMs: number;
  readonly latencyConnections: number;
  /** Messages per second over all latency connections. */
  readonly latencyRate: number;
  readonly workersSeconds: number;
  readonly workersConnections: number;
  /**
   * Unmeasured bytes per connection before the workers scenario's measured ones, or as many as workersWarmupSeconds
   * allows. Its processes are started for it, so what comes first also pays V8 compiling the relay path.
   */
  readonly workersWarmupBytes: number;
  /** The client stops writing the warm-up's bytes after this long. */
  readonly workersWarmupSeconds: number;
  /** Systems run when --systems does not say (undefined: all). */
  readonly defaultSystems: readonly string[] | undefined;
}

const MiB = 1024 * 1024;

export const PROFILES: Record<'quick' | 'full', Profile> = {
  quick: {
    repetitions: 3,
    bulkSizes: [64 * 1024, 4 * 1024],
    bulkBytes: 64 * MiB,
    bulkMaxSeconds: 0.75,
    bulkWarmupBytes: 4 * MiB,
    bulkWarmupSeconds: 0.5,
    churnSeconds: 1,
    churnWarmupConnections: 2500,
    churnWarmupSeconds: 0.5,
    churnConcurrency: 16,
    idleConnections: 200,
    latencySeconds: 1.5,
    latencyWarmupMs: 500,
    latencyConnections: 30,
    latencyRate: 1000,
    workersSeconds: 1,
    workersConnections: 16,
    workersWarmupBytes: 4 * MiB,
    workersWarmupSeconds: 0.5,
    // websockify forks a process per connection and is slow to open many; the floor adds nothing to a quick look.
    defaultSystems: ['gateway', 'tls-relay', 'naive', 'nginx-stream'],
  },
  full: {
    repetitions: 3,
    bulkSizes: [64 * 1024, 4 * 1024, 512],
    bulkBytes: 1024 * MiB,
    bulkMaxSeconds: 3,
    bulkWarmupBytes: 512 * MiB,
    bulkWarmupSeconds: 3,
    churnSeconds: 5,
    churnWarmupConnections: 2500,
    churnWarmupSeconds: 40,
    churnConcurrency: 16,
    idleConnections: 2000,
    latencySeconds: 6,
    latencyWarmupMs: 1000,
    latencyConnections: 100,
    latencyRate: 2000,
    workersSeconds: 5,
    workersConnections: 16,
    workersWarmupBytes: 32 * MiB,
    workersWarmupSeconds: 3,
    defaultSystems: undefined,
  },
};

export interface BenchOptions {
  readonly quick: boolean;
  readonly profile: Profile;
  readonly only: readonly ScenarioGroup[];
  /** Systems to run, by name; empty means the profile's default. */
  readonly systems: readonly string[];
  /** Endpoints started elsewhere, `name=wss://host:port/path` or `name=tls://host:port`. */
  readonly endpoints: readonly string[];
  /** A fixed port for the sink, so that an endpoint started elsewhere can forward to it. */
  readonly sinkPort: number | undefined;
  /** Worker processes of the systems in the `workers` scenario. */
  readonly workers: number;
  /** Pin each system under test to a core of its own (default); false with --no-pin. */
  readonly pin: boolean;
  readonly help: boolean;
}

export const USAGE = `usage: npm run bench -- [--quick] [--only LIST] [--systems LIST] [--repetitions N] [--no-pin]

  --quick            smaller scenarios, the whole run under three minutes
  --only LIST        run only these scenarios: ${SCENARIO_GROUPS.join(', ')}
  --systems LIST     run only these systems: gateway, tls-relay, ws-relay, naive, nginx-stream, websockify,
                     tcp (the floor)
  --repetitions N    interleaved repetitions of every scenario (default 3); the report gives medians and ranges
  --no-pin           leave every process unpinned (default: each system under test alone on a core, the client
                     and the sink on the others)
  --workers N        worker processes of the gateway and nginx in the workers scenario (default 2)
  --endpoint NAME=URL
                     also measure an endpoint already running (wss://host:port/path, or tls://host:port for bare
                     TLS) that forwards to the sink; repeatable; it cannot be part of the idle memory scenario
  --sink-port N      listen for the sink on this port (default: any free port)
`;

/** `text` as a whole number from 1 to `max`, or `fallback` when absent; throws naming `flag` otherwise. */
export function count(flag: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!(Number.isInteger(n) && n >= 1 && n <= max)) throw new Error(`${flag}: "${text}" is not a number from 1 to ${max}`);
  return n;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Throws an Error naming the bad argument. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      systems: { type: 'string' },
      repetitions: { type: 'string' },
      'no-pin': { type: 'boolean', default: false },
      workers: { type: 'string' },
      endpoint: { type: 'string', multiple: true },
      'sink-port': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const only = list(values.only);
  for (const s of only) {
    if (!(SCENARIO_GROUPS as readonly string[]).includes(s)) throw new Error(`--only: unknown scenario "${s}" (known: ${SCENARIO_GROUPS.join(', ')})`);
  }
  const quick = values.quick === true;
  const sinkPortText = values['sink-port'];
  const sinkPort = sinkPortText === undefined ? undefined : Number(sinkPortText);
  if (sinkPort !== undefined && !(Number.isInteger(sinkPort) && sinkPort > 0 && sinkPort < 65536)) {
    throw new Error(`--sink-port: "${sinkPortText}" is not a port number`);
  }
  const base = quick ? PROFILES.quick : PROFILES.full;
  const repetitions = count('--repetitions', values.repetitions, base.repetitions, 100);
  return {
    quick,
    workers: count('--workers', values.workers, 2, 256),
    pin: values['no-pin'] !== true,
    profile: repetitions === base.repetitions ? base : { ...base, repetitions },
    only: (only.length > 0 ? only : [...SCENARIO_GROUPS]) as ScenarioGroup[],
    systems: list(values.systems),
    endpoints: values.endpoint ?? [],
    sinkPort,
    help: values.help === true,
  };
}
