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
  run(system: RunningSystem, spec: SystemSpec, ctx: ScenarioContext): Promise<Row[]>;
}
