/** The command line of `npm run soak`, and the size of each scenario in quick and full runs. */
import { parseArgs } from 'node:util';

export const SCENARIO_IDS = ['held', 'churn', 'slow', 'faults', 'fuzz', 'testssl'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export interface Profile {
  /** Concurrent mutual-TLS connections held open, each proxied to the echo backend. */
  readonly heldConnections: number;
  readonly holdSeconds: number;
  /** Connections opened and closed, after `churnWarmup` more that are not measured. */
  readonly churnConnections: number;
  readonly churnWarmup: number;
  readonly churnConcurrency: number;
  readonly slowClients: number;
  readonly wellBehavedClients: number;
  /** Each fault is played this many times, at once. */
  readonly faultRepeats: number;
  /** How long the client floods a backend that stopped reading, while the gateway's memory is sampled. */
  readonly stallSeconds: number;
  /** fast-check runs per fuzz target (frames, upgrade requests, PROXY headers). */
  readonly fuzzRuns: number;
  /** testssl.sh's own options: the quick run checks protocols and cipher categories only. */
  readonly testsslChecks: readonly string[];
}

export const PROFILES: Record<'quick' | 'full', Profile> = {
  quick: {
    heldConnections: 1000,
    holdSeconds: 5,
    churnConnections: 5000,
    churnWarmup: 1000,
    churnConcurrency: 32,
    slowClients: 500,
    wellBehavedClients: 50,
    faultRepeats: 3,
    stallSeconds: 5,
    fuzzRuns: 300,
    testsslChecks: ['--protocols'],
  },
  full: {
    heldConnections: 8000,
    holdSeconds: 30,
    churnConnections: 50000,
    churnWarmup: 5000,
    churnConcurrency: 32,
    slowClients: 500,
    wellBehavedClients: 50,
    faultRepeats: 20,
    stallSeconds: 20,
    fuzzRuns: 5000,
    // testssl.sh's default run: every check it has.
    testsslChecks: [],
  },
};

/** The fuzzing seed when none is given, so that two runs of one commit send the same inputs. */
export const DEFAULT_SEED = 20261202;

export interface SoakOptions {
  readonly quick: boolean;
  readonly profile: Profile;
  readonly only: readonly ScenarioId[];
  readonly seed: number;
  readonly help: boolean;
}

export const USAGE = `usage: npm run soak -- [--quick] [--only held,churn,slow,faults,fuzz,testssl] [--seed N]

  --quick       smaller scenarios, the whole run under three minutes; writes soak/results/latest-quick.md
  --only LIST   run only these scenarios (a full run then writes soak/results/latest-full.md, not the docs)
  --seed N      the fuzzing seed (default ${DEFAULT_SEED})

A full run of every scenario rewrites docs/RELIABILITY.md.
`;

/** Throws an Error naming the bad argument. */
export function parseSoakArgs(argv: readonly string[]): SoakOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const only = (values.only ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const s of only) {
    if (!(SCENARIO_IDS as readonly string[]).includes(s)) throw new Error(`--only: unknown scenario "${s}" (known: ${SCENARIO_IDS.join(', ')})`);
  }
  const seedText = values.seed;
  const seed = seedText === undefined ? DEFAULT_SEED : Number(seedText);
  // fast-check takes a 32-bit seed.
  if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0x7fffffff)) throw new Error(`--seed: "${seedText}" is not a whole number from 0 to 2147483647`);
  const quick = values.quick === true;
  return {
    quick,
    profile: quick ? PROFILES.quick : PROFILES.full,
    only: (only.length > 0 ? only : [...SCENARIO_IDS]) as ScenarioId[],
    seed,
    help: values.help === true,
  };
}

/** Only a full run of every scenario stands for the project in docs/RELIABILITY.md. */
export function writesDocs(opts: SoakOptions): boolean {
  return !opts.quick && SCENARIO_IDS.every((id) => opts.only.includes(id));
}
