/** The command line of `npm run bench:compare` (compare.ts). */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { count } from './args.js';

export const COMPARE_USAGE = `usage: npm run bench:compare -- --against DIR [--scenario churn|resume|bulk] [--size BYTES] [--seconds N] [--rounds N] [--clients N]

  --against DIR      another checkout of this project, built (npm ci): the build to compare this one with
  --scenario NAME    churn (default): a full handshake per connection; resume: each client resumes its last session;
                     bulk: one connection to each gateway writes messages of --size bytes as fast as it takes them
  --size BYTES       bulk's message size (default 4096)
  --seconds N        length of each measured round (default 8)
  --rounds N         rounds, each after a second of warm-up (default 3); the summary is their median
  --clients N        churn and resume: clients connecting at once to each gateway (default 8)
`;

export type CompareScenario = 'churn' | 'resume' | 'bulk';
const SCENARIOS: readonly CompareScenario[] = ['churn', 'resume', 'bulk'];

export interface CompareOptions {
  readonly help: boolean;
  readonly against: string;
  readonly scenario: CompareScenario;
  /** bulk: bytes per message. */
  readonly size: number;
  readonly seconds: number;
  readonly rounds: number;
  readonly clients: number;
}

/** Throws an Error naming the bad argument. */
export function parseCompareArgs(argv: readonly string[]): CompareOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      against: { type: 'string' },
      scenario: { type: 'string', default: 'churn' },
      size: { type: 'string' },
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      clients: { type: 'string' },
    },
    strict: true,
  });
  const help = values.help ?? false;
  const scenario = values.scenario ?? 'churn';
  if (!SCENARIOS.includes(scenario as CompareScenario)) throw new Error(`--scenario: "${scenario}" is not one of ${SCENARIOS.join(', ')}`);
  if (!help && values.against === undefined) throw new Error('--against DIR is required: the checkout to compare this one with');
  return {
    help,
    against: resolve(values.against ?? '.'),
    scenario: scenario as CompareScenario,
    size: count('--size', values.size, 4096, 16 * 1024 * 1024),
    seconds: count('--seconds', values.seconds, 8, 600),
    rounds: count('--rounds', values.rounds, 3, 100),
    clients: count('--clients', values.clients, 8, 256),
  };
}
