/** The command line of `npm run bench:compare` (compare.ts). */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { count, PROFILES } from './args.js';
import { SYSTEMS } from './systems/index.js';

/** The systems `--peer` may name: every one with a server of its own, besides the gateway. */
export const COMPARABLE_PEERS: readonly string[] = SYSTEMS.filter((s) => s.peer && s.noServer !== true).map((s) => s.name);

export const COMPARE_USAGE = `usage: npm run bench:compare -- (--against DIR | --peer NAME [--system NAME]) [--scenario churn|resume|bulk] [--size BYTES] [--seconds N] [--rounds N] [--clients N]

  --against DIR      another checkout of this project, built (npm ci): the build to compare this one with
  --peer NAME        or one of the benchmark's other systems (${COMPARABLE_PEERS.join(', ')}), run on the
                     same core as this checkout's gateway: its cost over the peer's, under the same load
  --system NAME      with --peer: another of those systems in the gateway's place, its cost over the peer's (what
                     one floor costs over another, e.g. --peer tls-relay --system ws-relay)
  --scenario NAME    churn (default): a full handshake per connection; resume: each client resumes its last session;
                     bulk: one connection to each side writes messages of --size bytes as fast as it takes them
  --size BYTES       bulk's message size (default 4096)
  --seconds N        length of each measured round (default 8)
  --rounds N         rounds, each after a second of warm-up (default 3); the summary is their median. Churn and
                     resume first warm each side up with the full benchmark's number of warm-up connections
                     (${PROFILES.full.churnWarmupConnections}), for at most ${PROFILES.full.churnWarmupSeconds * 3} s
  --clients N        churn and resume: clients connecting at once to each side (default 8)
  --fleet N          churn: N client certificates of the same CA, each connection presenting the next, as a fleet of
                     devices does (default: one for all). More than the gateway's certificate cache (4096) makes
                     every connection's certificate one it has not seen
`;

export type CompareScenario = 'churn' | 'resume' | 'bulk';
const SCENARIOS: readonly CompareScenario[] = ['churn', 'resume', 'bulk'];

export interface CompareOptions {
  readonly help: boolean;
  /** The checkout to compare with; undefined when `peer` names a system instead. */
  readonly against: string | undefined;
  /** The benchmark system to compare with (bench/systems), instead of another checkout. */
  readonly peer: string | undefined;
  /** With `peer`: the benchmark system measured in the gateway's place (the ratio's numerator). */
  readonly system: string | undefined;
  readonly scenario: CompareScenario;
  /** bulk: bytes per message. */
  readonly size: number;
  readonly seconds: number;
  readonly rounds: number;
  readonly clients: number;
  /** churn: client certificates presented in turn; 0: the one certificate of every scenario. */
  readonly fleet: number;
}

/** Throws an Error naming the bad argument. */
export function parseCompareArgs(argv: readonly string[]): CompareOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      against: { type: 'string' },
      peer: { type: 'string' },
      system: { type: 'string' },
      scenario: { type: 'string', default: 'churn' },
      size: { type: 'string' },
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      clients: { type: 'string' },
      fleet: { type: 'string' },
    },
    strict: true,
  });
  const help = values.help ?? false;
  const scenario = values.scenario ?? 'churn';
  if (!SCENARIOS.includes(scenario as CompareScenario)) throw new Error(`--scenario: "${scenario}" is not one of ${SCENARIOS.join(', ')}`);
  if (values.peer !== undefined && !COMPARABLE_PEERS.includes(values.peer)) throw new Error(`--peer: "${values.peer}" is not one of ${COMPARABLE_PEERS.join(', ')}`);
  if (values.system !== undefined && !COMPARABLE_PEERS.includes(values.system)) throw new Error(`--system: "${values.system}" is not one of ${COMPARABLE_PEERS.join(', ')}`);
  if (values.system !== undefined && values.peer === undefined) throw new Error('--system needs --peer: the system it is compared with');
  if (values.system !== undefined && values.system === values.peer) throw new Error(`--system and --peer: both name "${values.system}"; name two systems`);
  if (values.against !== undefined && values.peer !== undefined) throw new Error('--against and --peer: give one, the checkout or the system to compare this one with');
  if (values.fleet !== undefined && scenario !== 'churn') throw new Error(`--fleet: only churn connects with a new certificate each time (a resumed session carries its first one)`);
  if (!help && values.against === undefined && values.peer === undefined) throw new Error('--against DIR or --peer NAME is required: the checkout or the system to compare this one with');
  return {
    help,
    against: values.against === undefined ? undefined : resolve(values.against),
    peer: values.peer,
    system: values.system,
    scenario: scenario as CompareScenario,
    size: count('--size', values.size, 4096, 16 * 1024 * 1024),
    seconds: count('--seconds', values.seconds, 8, 600),
    rounds: count('--rounds', values.rounds, 3, 100),
    clients: count('--clients', values.clients, 8, 256),
    fleet: values.fleet === undefined ? 0 : count('--fleet', values.fleet, 1, 100_000),
  };
}
