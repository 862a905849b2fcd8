/** The command line of `npm run bench`, and the size of each scenario in quick and full runs. */
import { parseArgs } from 'node:util';

export const SCENARIO_GROUPS = ['bulk', 'churn', 'idle', 'latency', 'keystore'] as const;
export type ScenarioGroup = (typeof SCENARIO_GROUPS)[number];

export interface Profile {
  /** Bytes written per bulk run (the run also stops at bulkMaxSeconds). */
  readonly bulkBytes: number;
  readonly bulkMaxSeconds: number;
  readonly bulkWarmupBytes: number;
  readonly churnSeconds: number;
  readonly idleConnections: number;
  readonly latencySeconds: number;
  readonly latencyConnections: number;
  /** Messages per second over all latency connections. */
  readonly latencyRate: number;
}

const MiB = 1024 * 1024;

export const PROFILES: Record<'quick' | 'full', Profile> = {
  quick: {
    bulkBytes: 128 * MiB,
    bulkMaxSeconds: 3,
    bulkWarmupBytes: 8 * MiB,
    churnSeconds: 3,
    idleConnections: 1000,
    latencySeconds: 5,
    latencyConnections: 100,
    latencyRate: 2000,
  },
  full: {
    bulkBytes: 512 * MiB,
    bulkMaxSeconds: 20,
    bulkWarmupBytes: 32 * MiB,
    churnSeconds: 15,
    idleConnections: 5000,
    latencySeconds: 30,
    latencyConnections: 100,
    latencyRate: 2000,
  },
};

export interface BenchOptions {
  readonly quick: boolean;
  readonly profile: Profile;
  readonly only: readonly ScenarioGroup[];
  /** Systems to run, by name; empty means every known one. */
  readonly systems: readonly string[];
  /** Endpoints started elsewhere, `name=wss://host:port/path` or `name=tls://host:port`. */
  readonly endpoints: readonly string[];
  /** A fixed port for the sink, so that an endpoint started elsewhere can forward to it. */
  readonly sinkPort: number | undefined;
  /** `bin/gateway start --workers N`; 1 runs it as a single process, its default. */
  readonly gatewayWorkers: number;
  readonly help: boolean;
}

export const USAGE = `usage: npm run bench -- [--quick] [--only bulk,churn,idle,latency,keystore] [--systems gateway,websockify,nginx-stream,tcp]

  --quick            smaller scenarios, the whole run under three minutes
  --only LIST        run only these scenarios
  --systems LIST     run only these systems (the gateway, the peers, and tcp: raw TCP, the floor)
  --endpoint NAME=URL
                     also measure an endpoint already running (wss://host:port/path, or tls://host:port for bare
                     TLS) that forwards to the sink; repeatable; it cannot be part of the idle memory scenario
  --sink-port N      listen for the sink on this port (default: any free port)
  --gateway-workers N
                     the gateway-Nw column: the gateway started with --workers N (default 2; 1 leaves the column out)
`;

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
      endpoint: { type: 'string', multiple: true },
      'sink-port': { type: 'string' },
      'gateway-workers': { type: 'string' },
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
  const workersText = values['gateway-workers'];
  const gatewayWorkers = workersText === undefined ? 2 : Number(workersText);
  if (!(Number.isInteger(gatewayWorkers) && gatewayWorkers >= 1 && gatewayWorkers <= 256)) {
    throw new Error(`--gateway-workers: "${workersText}" is not a number from 1 to 256`);
  }
  return {
    quick,
    gatewayWorkers,
    profile: quick ? PROFILES.quick : PROFILES.full,
    only: (only.length > 0 ? only : [...SCENARIO_GROUPS]) as ScenarioGroup[],
    systems: list(values.systems),
    endpoints: values.endpoint ?? [],
    sinkPort,
    help: values.help === true,
  };
}
