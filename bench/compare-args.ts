/** The command line of `npm run bench:compare` (compare.ts). */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { count } from './args.js';

export const COMPARE_USAGE = `usage: npm run bench:compare -- --against DIR [--scenario churn|resume] [--seconds N] [--rounds N] [--clients N]

  --against DIR      another checkout of this project, built (npm ci): the build to compare this one with
  --scenario NAME    churn (default): a full handshake per connection; resume: each client resumes its last session
  --seconds N        length of each measured round (default 8)
  --rounds N         rounds, each after a second of warm-up (default 3); the summary is their median
  --clients N        clients connecting at once to each gateway (default 8)
`;

export interface CompareOptions {
  readonly help: boolean;
  readonly against: string;
  readonly resume: boolean;
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
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      clients: { type: 'string' },
    },
    strict: true,
  });
  const help = values.help ?? false;
  const scenario = values.scenario ?? 'churn';
  if (scenario !== 'churn' && scenario !== 'resume') throw new Error(`--scenario: "${scenario}" is neither churn nor resume`);
  if (!help && values.against === undefined) throw new Error('--against DIR is required: the checkout to compare this one with');
  return {
    help,
    against: resolve(values.against ?? '.'),
    resume: scenario === 'resume',
    seconds: count('--seconds', values.seconds, 8, 600),
    rounds: count('--rounds', values.rounds, 3, 100),
    clients: count('--clients', values.clients, 8, 256),
  };
}
