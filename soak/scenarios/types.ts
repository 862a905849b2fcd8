import type { ClientTls } from '../../bench/client/link.js';
import type { BenchPki } from '../../bench/pki.js';
import type { ProcessGroup } from '../../bench/procs.js';
import type { Profile, ScenarioId } from '../args.js';
import type { Features } from '../features.js';
import type { ScenarioOutcome } from '../report/types.js';

export interface SoakContext {
  readonly procs: ProcessGroup;
  readonly pki: BenchPki;
  /** The client certificate every well-behaved client presents. */
  readonly tls: ClientTls;
  readonly profile: Profile;
  readonly features: Features;
  readonly seed: number;
  readonly quick: boolean;
  /** A directory of the scenario's own, removed after the run. */
  readonly workDir: string;
  /** Progress and remarks: printed, and kept for the report. */
  note(text: string): void;
}

export interface Scenario {
  readonly id: ScenarioId;
  readonly title: string;
  /** Resolves with the figures; throws only when the scenario could not run to its end. */
  run(ctx: SoakContext): Promise<ScenarioOutcome>;
}
