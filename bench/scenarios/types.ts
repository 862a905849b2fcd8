import type { Profile } from '../args.js';
import type { ClientTls } from '../client/link.js';
import type { Row } from '../report/types.js';
import type { Sink } from '../sink-client.js';
import type { RunningSystem, SystemSpec } from '../systems/types.js';

export interface ScenarioContext {
  readonly sink: Sink;
  readonly tls: ClientTls;
  readonly profile: Profile;
  /** Progress and remarks for the person running the benchmark. */
  note(text: string): void;
}

export interface Scenario {
  readonly group: string;
  /** One line for the report: what is measured and how. */
  readonly description: string;
  /** Skip systems with no serving process of their own (the idle scenario measures that process). */
  readonly needsServer?: boolean;
  /** Skip systems the client reaches without TLS (the floor). */
  readonly needsTls?: boolean;
  /**
   * Runs the systems' `workers` variants, unpinned, with the client free to use every core too; systems without
   * such a variant are left out.
   */
  readonly workers?: boolean;
  /** Starts each system afresh rather than sharing a start with the other scenarios (its numbers need a clean process). */
  readonly ownStart?: boolean;
  run(system: RunningSystem, spec: SystemSpec, ctx: ScenarioContext): Promise<Row[]>;
}
